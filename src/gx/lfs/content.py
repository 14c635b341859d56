"""An artifact's content, whether it is an ordinary blob or an LFS pointer: what every reader of
artifacts (``gx artifacts get``, ``download_artifacts``, models, the UI) goes through.

A pointer's object is taken from the local store, verified by sha256 before use; when this clone
lacks it, it is fetched first from ``origin`` (then any other remote that has it).
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from gx.errors import GxError
from gx.lfs.objects import has_object, open_object
from gx.lfs.pointer import Pointer, parse
from gx.lfs.remote import fetch_objects
from gx.records import LfsArtifact
from gx.store.encode import ARTIFACTS_DIR, ATTRIBUTES_FILE, lfs_attribute_line
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
    attributes = store.read_blob(tree, ATTRIBUTES_FILE) or b""
    marked = lfs_attribute_line(artifact_path) in attributes.decode("utf-8", "replace").splitlines()
    return LfsArtifact(blob) if marked else blob


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
    ensure_local(store, [pointer], what)
    return open_object(store.paths.common_dir, pointer)


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
