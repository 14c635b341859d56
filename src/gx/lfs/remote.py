"""Moving LFS objects to and from a remote, by the remote's kind.

A local path or ``file://`` remote keeps objects in its own repository's ``lfs/objects`` (as git-lfs
does for such remotes): objects are copied there, hashed as they stream and renamed into place only
when whole and right. http(s) and ssh remotes, and any remote whose configured LFS endpoint
(``lfs.url``, ``remote.<name>.lfsurl``...) is an http(s) server, go through the LFS batch API
(``gx.lfs.transfer``, loaded only when such a remote is used).
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from gx.errors import GxError, RemoteError
from gx.lfs.objects import BadObject, has_object, object_path, read_chunks, store_stream
from gx.lfs.pointer import Pointer
from gx.lfs.progress import Progress

_SCP_LIKE = re.compile(r"[^/:]+:")  # user@host:path, as git reads it (no '/' before the colon)


def local_path(remote_url: str) -> Path | None:
    """The directory of a local-path or ``file://`` remote; None for a network remote."""
    if remote_url.startswith("file://"):
        return Path(unquote(urlparse(remote_url).path))
    if "://" in remote_url or (_SCP_LIKE.match(remote_url) and not os.path.exists(remote_url)):
        return None
    return Path(remote_url)


def remote_common_dir(directory: Path) -> Path:
    """The git directory whose ``lfs/objects`` a local remote uses: a bare repository itself, or the
    ``.git`` of one with a working tree."""
    dot_git = directory / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():  # a linked worktree or submodule: objects live in its common dir
        from gx.paths import find_repo

        return find_repo(directory).common_dir
    if (directory / "objects").is_dir() and (directory / "HEAD").exists():
        return directory
    raise RemoteError(f"{directory} is not a git repository; cannot move LFS objects there")


def copy_objects(source: Path, target: Path, pointers: Sequence[Pointer], what: str, verb: str = "copy") -> int:
    """Copy the objects ``target`` lacks from ``source`` (both git common dirs), each verified against
    its pointer before it is placed; the number copied. A missing or wrong source object is an error.
    A copy that takes over a second shows the same progress line as a transfer over HTTP."""
    todo = [p for p in pointers if not has_object(target, p)]
    progress = Progress(verb, len(todo), sum(p.size for p in todo))
    for pointer in todo:
        try:
            with open(object_path(source, pointer.oid), "rb") as fh:
                store_stream(target, _counted(read_chunks(fh), progress), expected=pointer)
        except FileNotFoundError:
            raise GxError(f"LFS object {pointer.oid[:12]} ({pointer.size:,} bytes) is not in {what}; "
                          "it cannot be copied") from None
        except BadObject as exc:
            raise BadObject(f"{exc} (in {what})") from None
        progress.object_done()
    progress.finish()
    return len(todo)


def _counted(chunks: Iterator[bytes], progress: Progress) -> Iterator[bytes]:
    for chunk in chunks:
        progress.add(len(chunk))
        yield chunk


def _over_http(common_dir: Path, remote_url: str, remote: str | None, operation: str) -> bool:
    """Whether objects go through an LFS server: always for network remotes, and for a local remote
    when an LFS endpoint configured for it is an http(s) URL (git-lfs's precedence: ``lfs.url`` wins)."""
    if local_path(remote_url) is None:
        return True
    from gx.lfs.endpoint import find_endpoint

    return find_endpoint(common_dir, remote_url, remote, operation).is_http


def _network(operation: str) -> object:
    return getattr(importlib.import_module("gx.lfs.transfer"), operation)


def push_objects(common_dir: Path, remote_url: str, pointers: Sequence[Pointer], *, remote: str | None = None) -> None:
    """Make sure the remote holds every object ``pointers`` name (sent from the local store)."""
    if not pointers:
        return
    if _over_http(common_dir, remote_url, remote, "upload"):
        _network("upload")(common_dir, remote_url, pointers, remote=remote)  # type: ignore[operator]
        return
    directory = local_path(remote_url)
    assert directory is not None
    copy_objects(common_dir, remote_common_dir(directory), pointers, f"this clone's LFS store ({common_dir})", "upload")


def fetch_objects(common_dir: Path, remote_url: str, pointers: Sequence[Pointer], *, remote: str | None = None) -> None:
    """Bring the objects ``pointers`` name that the local store lacks from the remote."""
    missing = [p for p in pointers if not has_object(common_dir, p)]
    if not missing:
        return
    if _over_http(common_dir, remote_url, remote, "download"):
        _network("download")(common_dir, remote_url, missing, remote=remote)  # type: ignore[operator]
        return
    directory = local_path(remote_url)
    assert directory is not None
    copy_objects(remote_common_dir(directory), common_dir, missing, f"{remote or remote_url}'s LFS store", "download")
