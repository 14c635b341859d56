"""Which LFS objects runs need: the pointers a run commit's ``.gitattributes`` marks, for the runs a
push sends and for everything ``gx gc --lfs`` must keep.

Pointers are read from git, so from anyone's clone: a marked blob that is not a valid pointer is
ordinary content (git-lfs does the same), and the attributes file is read bounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from gx import limits
from gx.lfs.pointer import MAX_POINTER_BYTES, Pointer, parse
from gx.store.encode import ATTRIBUTES_FILE, lfs_paths
from gx.store.history import walk
from gx.store.repo import Store


def commit_pointers(store: Store, sha: bytes) -> list[Pointer]:
    """The LFS pointers of one run commit (none for any other commit)."""
    tree = store.commit(sha).tree
    attributes = store.read_blob(tree, ATTRIBUTES_FILE)
    if not attributes:
        return []
    out = []
    for path in lfs_paths(attributes)[: limits.MAX_FILES_PER_RUN]:
        blob = store.read_blob(tree, path)
        pointer = parse(blob) if blob is not None and len(blob) < MAX_POINTER_BYTES else None
        if pointer is not None:
            out.append(pointer)
    return out


def history_pointers(store: Store, tips: Iterable[bytes], have: Iterable[bytes] = ()) -> dict[str, Pointer]:
    """The pointers of every run reachable from ``tips`` but not through ``have`` (commits the other
    side already holds), by oid."""
    known = {sha for sha in have if sha in store.repo.object_store}
    out: dict[str, Pointer] = {}
    for entry in walk(store, [t for t in tips if t not in known], stop=known):
        for pointer in commit_pointers(store, entry.sha):
            out[pointer.oid] = pointer
    return out


def staged_pointers(gx_dir: Path) -> Iterator[Pointer]:
    """Pointers staged by runs not recorded yet (in progress, killed, or set aside): their objects
    are needed as much as recorded ones."""
    if not gx_dir.is_dir():
        return
    for folder in gx_dir.rglob("lfs-pointers"):
        for path in folder.rglob("*"):
            try:
                if path.is_file() and not path.is_symlink() and path.stat().st_size < MAX_POINTER_BYTES:
                    pointer = parse(path.read_bytes())
                    if pointer is not None:
                        yield pointer
            except OSError:
                continue
