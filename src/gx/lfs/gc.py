"""``gx gc --lfs``: remove local LFS objects nothing needs, and say how much that freed.

An object is kept when any pointer names it in: a commit reachable from any ref (experiments and
their remote-tracking copies, branches, tags, registered models' tags: every ``refs/``), the index
(what ``git add`` staged through git-lfs), or a run not recorded yet (in progress, killed, set aside);
and any object written in the last hour (a run stores its object just before it stages the pointer).
Every blob small enough to be a pointer counts, whatever ``.gitattributes`` says, so an object is
never removed while something could still name it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from gx.lfs.objects import lfs_dir
from gx.lfs.pointer import MAX_POINTER_BYTES, parse
from gx.lfs.scan import staged_pointers
from gx.store.gitindex import read_index
from gx.store.repo import Store

#: Temporary files of interrupted copies older than this are removed too (a live copy is younger).
STALE_TEMP_SECONDS = 24 * 3600
#: Objects younger than this are kept: a run being logged stores its object before it stages the pointer.
GRACE_SECONDS = 3600


@dataclass
class Collected:
    removed: list[str] = field(default_factory=list)  # oids
    freed: int = 0  # bytes
    kept: int = 0  # objects still referenced


def _blob_oid(store: Store, sha: bytes) -> str | None:
    raw = store.repo.object_store.get_raw(sha)  # (type number, bytes); 3 is a blob
    if raw[0] != 3 or len(raw[1]) >= MAX_POINTER_BYTES:
        return None
    pointer = parse(raw[1])
    return pointer.oid if pointer is not None else None


def _reachable_oids(store: Store) -> Iterator[str]:
    """The oid of every pointer in every tree of every commit any ref reaches."""
    repo = store.repo
    tips = set()
    for sha in repo.refs.as_dict().values():
        obj = repo.get_object(sha) if sha in repo.object_store else None
        while obj is not None and obj.type_name == b"tag":  # annotated tags (the registry's among them)
            target = obj.object[1]
            obj = repo.get_object(target) if target in repo.object_store else None
        if obj is not None and obj.type_name == b"commit":
            tips.add(obj.id)
    seen_trees: set[bytes] = set()
    seen_blobs: set[bytes] = set()
    for entry in repo.get_walker(include=sorted(tips)) if tips else ():
        stack = [entry.commit.tree]
        while stack:
            tree_sha = stack.pop()
            if tree_sha in seen_trees or tree_sha not in repo.object_store:
                continue
            seen_trees.add(tree_sha)
            for item in repo.get_object(tree_sha).items():
                kind = item.mode & 0o170000
                if kind == 0o040000:
                    stack.append(item.sha)
                elif kind == 0o100000 and item.sha not in seen_blobs and item.sha in repo.object_store:
                    seen_blobs.add(item.sha)
                    oid = _blob_oid(store, item.sha)
                    if oid is not None:
                        yield oid


def _indexed_oids(store: Store) -> Iterator[str]:
    index = store.paths.git_dir / "index"
    if not index.is_file():
        return
    entries = read_index(str(index))
    for path in entries:
        found = entries.get(path)
        if found is not None and found[1] in store.repo.object_store:
            oid = _blob_oid(store, found[1])
            if oid is not None:
                yield oid


def referenced_oids(store: Store) -> set[str]:
    """Every object something still names (see the module's docstring)."""
    keep = set(_reachable_oids(store)) | set(_indexed_oids(store))
    keep.update(p.oid for p in staged_pointers(store.paths.gx_dir))
    return keep


def collect(store: Store, dry_run: bool = False) -> Collected:
    """Remove (or, with ``dry_run``, only count) the local objects nothing references."""
    root = lfs_dir(store.paths.common_dir)
    keep = referenced_oids(store)
    out = Collected()
    recent = time.time() - GRACE_SECONDS
    for path in sorted((root / "objects").glob("??/??/*")):
        if not path.is_file():
            continue
        st = path.stat()
        if path.name in keep or st.st_mtime > recent:
            out.kept += 1
            continue
        size = st.st_size
        if not dry_run:
            path.unlink()
        out.removed.append(path.name)
        out.freed += size
    _remove_stale_temps(root / "tmp", dry_run)
    return out


def _remove_stale_temps(tmp: Path, dry_run: bool) -> None:
    cutoff = time.time() - STALE_TEMP_SECONDS
    for path in tmp.glob("gx-*") if tmp.is_dir() and not dry_run else ():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue
