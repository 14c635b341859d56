"""An artifact's content, whether it is an ordinary blob or an LFS pointer: what every reader of
artifacts (``gx artifacts get``, ``download_artifacts``, models, the UI) goes through.

A pointer's object is taken from the local store, verified by sha256 before use; when this clone
lacks it, it is fetched first from ``origin`` (then any other remote that has it). A corrupt local
object is refused and replaced by a verified copy from a remote when one has it.
"""

from __future__ import annotations

import io
import os
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from gx.errors import GxError, GxWarning
from gx.lfs.objects import BadObject, has_object, object_path, open_object
from gx.lfs.pointer import MAX_POINTER_BYTES, Pointer, parse
from gx.lfs.remote import fetch_objects
from gx.records import LfsArtifact
from gx.store.encode import ARTIFACTS_DIR, ATTRIBUTES_FILE, lfs_attribute_line, lfs_marked
from gx.store.gitconfig import remote_names
from gx.store.remote import resolve_remote
from gx.store.repo import Store


def pointer_of(content: bytes) -> Pointer | None:
    """The LFS pointer an artifact's content stands for; None for ordinary content."""
    return parse(bytes(content)) if isinstance(content, LfsArtifact) else None


def tree_artifact(store: Store, tree: bytes, artifact_path: str) -> bytes | None:
    """The blob of ``artifacts/<artifact_path>`` in a run's tree (None when absent), as an ``LfsArtifact``
    when the tree's ``.gitattributes`` marks it and it is a pointer."""
    blob = store.read_blob(tree, f"{ARTIFACTS_DIR}/{artifact_path}")
    if blob is None or parse(blob) is None:
        return blob
    marked = lfs_attribute_line(artifact_path) in lfs_marked(store.read_blob(tree, ATTRIBUTES_FILE))
    return LfsArtifact(blob) if marked else blob


def with_lfs_sizes(store: Store, commit: str, folder: str, sizes: dict[str, int]) -> dict[str, int]:
    """``sizes`` of the files under ``artifacts/<folder>`` of a run commit (as ``store.browse.file_sizes``
    gives them), with each LFS artifact's real size in place of its pointer's."""
    tree = store.commit(commit.encode()).tree
    out = dict(sizes)
    for name, size in sizes.items():
        if size < MAX_POINTER_BYTES:
            blob = tree_artifact(store, tree, f"{folder}/{name}" if folder else name)
            pointer = pointer_of(blob) if blob is not None else None
            if pointer is not None:
                out[name] = pointer.size
    return out


def artifact_size(content: bytes) -> int:
    """The artifact's real size: its object's for a pointer, else its own."""
    pointer = pointer_of(content)
    return pointer.size if pointer is not None else len(content)


def _remote_order(store: Store) -> list[str]:
    names = remote_names(store)
    return (["origin"] if "origin" in names else []) + [n for n in names if n != "origin"]


def ensure_local(store: Store, pointers: Sequence[Pointer], what: str = "an artifact") -> None:
    """Fetch the objects of ``pointers`` this clone lacks, from ``origin`` first, then other remotes;
    one line naming what is missing and why when none has them."""
    common = store.paths.common_dir
    missing = [p for p in pointers if not has_object(common, p)]
    if not missing:
        return
    reasons = []
    for name in _remote_order(store):
        try:
            remote = resolve_remote(store, name)
            fetch_objects(common, remote.url, missing, remote=name)
        except GxError as exc:
            reasons.append(f"{name}: {exc}")
        missing = [p for p in missing if not has_object(common, p)]
        if not missing:
            return
    why = "; ".join(reasons) if reasons else "this repository has no remote to fetch it from"
    raise GxError(f"the content of {what} (LFS object {missing[0].oid[:12]}, {missing[0].size:,} bytes) is not "
                  f"in this clone and could not be fetched ({why})")


def open_content(store: Store, content: bytes, what: str = "an artifact") -> BinaryIO:
    """The artifact's content, open for reading: a verified LFS object (fetched if needed) or the blob."""
    pointer = pointer_of(content)
    if pointer is None:
        return io.BytesIO(content)
    common = store.paths.common_dir
    ensure_local(store, [pointer], what)
    try:
        return open_object(common, pointer)
    except BadObject as corrupt:  # refused; a good copy from a remote replaces it, or the error stands
        object_path(common, pointer.oid).unlink(missing_ok=True)
        try:
            ensure_local(store, [pointer], what)
        except GxError:
            raise corrupt from None
        warnings.warn(f"gx: LFS object {pointer.oid[:12]} in this clone was corrupt; it was replaced by a "
                      "verified copy from a remote", GxWarning, stacklevel=2)
        return open_object(common, pointer)


def read_content(store: Store, content: bytes, what: str = "an artifact") -> bytes:
    """The artifact's whole content (for readers that need it in memory anyway, like a model's load)."""
    if pointer_of(content) is None:
        return content
    with open_content(store, content, what) as fh:
        return fh.read()


def write_content(store: Store, content: bytes, target: Path, what: str = "an artifact") -> None:
    """Write the artifact's content to ``target``, streamed, whole or not at all (mode from the umask)."""
    with open_content(store, content, what) as src:
        temp = target.with_name(f".{target.name}.gx-{os.getpid()}")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o666)
            with os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(src, out, 1024 * 1024)
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
