"""Capture the code a run ran: HEAD, its branch, and a snapshot commit when the tree is dirty.

The snapshot is what ``git stash create`` would make of the tracked files (untracked files are
left out): a commit whose parent is HEAD, so it travels with the run when the experiment is pushed.
So every text file that differs from HEAD (changed in the worktree or staged) is stored with its
secrets masked (``gx.masking``, in code mode), and the patch is the diff of those masked files: a
secret the user has in the working tree is never written to the object store.
"""

from __future__ import annotations

import io
import os
import stat
import time
from collections.abc import Iterable

from dulwich.index import blob_from_path_and_stat, cleanup_mode, commit_tree, get_unstaged_changes
from dulwich.object_store import MemoryObjectStore, OverlayObjectStore
from dulwich.objects import Blob

from gx.masking import mask_bytes, secret_values_from_env
from gx.store import objects as gobj
from gx.store.loose import user_commit
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
    secrets = secret_values_from_env()
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
            mode = cleanup_mode(st.st_mode)
            blob = _masked(blob_from_path_and_stat(fs_path, st), mode, secrets)
            repo.object_store.add_object(blob)  # only ever the masked content
            entries.append((path, blob.id, mode))
        else:
            entries.append((path, sha, entry.mode))
    if head is None and not entries:  # a new repository with nothing staged: nothing to snapshot
        info["dirty"] = False
        return info, None
    head_tree = user_commit(store, head).tree if head else None
    tree_id = _masked_tree(repo.object_store, entries, head_tree, changed, secrets)
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
    # imported here: a clean tree (the usual run) never pays for it
    from dulwich.patch import write_tree_diff

    buf = io.BytesIO()
    write_tree_diff(buf, repo.object_store, head_tree, tree_id)
    patch = buf.getvalue()
    if len(patch) > MAX_PATCH_BYTES:
        patch = patch[:MAX_PATCH_BYTES] + b"\n# gx: patch cut at 5 MiB; see the snapshot commit\n"
    return info, patch


def _masked(blob: Blob, mode: int, secrets: Iterable[str]) -> Blob:
    """The blob with its secrets masked; binary files (a NUL in the first 8000 bytes, git's rule)
    and links are kept as they are."""
    if not stat.S_ISREG(mode):
        return blob
    data = blob.as_raw_string()
    if b"\0" in data[:8000]:
        return blob
    masked = mask_bytes(data, secrets, code=True)
    return blob if masked == data else Blob.from_string(masked)


def _masked_tree(object_store: object, entries: list[tuple[bytes, bytes, int]], head_tree: bytes | None,
                 done: set[bytes], secrets: Iterable[str]) -> bytes:
    """The snapshot's tree, written to the store: staged files that differ from HEAD (the worktree
    files in ``done`` are masked already) are masked too. The draft tree that finds them is built in
    memory, so a clean tree writes nothing."""
    draft_store = MemoryObjectStore()
    scratch = OverlayObjectStore([object_store, draft_store], add_store=draft_store)  # type: ignore[list-item]
    draft = commit_tree(scratch, entries)
    if draft == head_tree:
        return draft
    from dulwich.diff_tree import tree_changes

    staged = {c.new.path for c in tree_changes(scratch, head_tree, draft) if c.new.path is not None} - done
    final = []
    for path, sha, mode in entries:
        if path in staged and stat.S_ISREG(mode):
            blob = _masked(object_store[sha], mode, secrets)  # type: ignore[index]
            if blob.id != sha:
                object_store.add_object(blob)  # type: ignore[attr-defined]
                sha = blob.id
        final.append((path, sha, mode))
    return commit_tree(object_store, final)  # type: ignore[arg-type]


def commits_diff(store: Store, old: bytes, new: bytes) -> bytes:
    """Unified diff between two commits' trees (KeyError when either is not here)."""
    from dulwich.patch import write_tree_diff

    buf = io.BytesIO()
    write_tree_diff(buf, store.repo.object_store, store.commit(old).tree, store.commit(new).tree)
    return buf.getvalue()
