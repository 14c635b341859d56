"""The local LFS object store, laid out as git-lfs lays it out: ``<common git dir>/lfs/objects/<aa>/<bb>/<oid>``,
so objects git-lfs placed are gx's and the other way round.

Objects are written whole or not at all: content streams into a temporary file under ``lfs/tmp`` while
it is hashed, and only a file whose sha256 and size match is renamed into place. Nothing here holds a
file in memory.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from gx.errors import GxError
from gx.lfs import lfs_dir
from gx.lfs.pointer import Pointer

CHUNK = 1024 * 1024


class BadObject(GxError):
    """An LFS object's content does not match its pointer (corrupt, truncated or wrong)."""


def object_path(common_dir: Path, oid: str) -> Path:
    """The path of object ``oid`` in the local store (whether or not it is there)."""
    return lfs_dir(common_dir) / "objects" / oid[0:2] / oid[2:4] / oid


def has_object(common_dir: Path, pointer: Pointer) -> bool:
    """Whether the local store holds ``pointer``'s object at its full size (content is checked on use)."""
    try:
        return object_path(common_dir, pointer.oid).stat().st_size == pointer.size
    except OSError:
        return False


def _temp_file(common_dir: Path) -> tuple[BinaryIO, Path]:
    """A new file under ``lfs/tmp``, readable as the umask allows (as git-lfs's objects are: a shared
    remote's other users read them), unlike mkstemp's 0600."""
    tmp = lfs_dir(common_dir) / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    name = tmp / f"gx-{secrets.token_hex(8)}"
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    return os.fdopen(fd, "wb"), name


def store_stream(common_dir: Path, chunks: Iterator[bytes], expected: Pointer | None = None) -> Pointer:
    """Store the content ``chunks`` yield; return its pointer. With ``expected``, content of another hash
    or size raises ``BadObject`` and nothing is placed."""
    digest = hashlib.sha256()
    size = 0
    out, temp = _temp_file(common_dir)
    try:
        with out:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                if expected is not None and size > expected.size:
                    raise BadObject(f"LFS object {expected.oid[:12]} is longer than its {expected.size:,} bytes")
                out.write(chunk)
        pointer = Pointer(digest.hexdigest(), size)
        if expected is not None and pointer != expected:
            raise BadObject(f"LFS object {expected.oid[:12]} has the wrong content (sha256 {pointer.oid[:12]}, "
                            f"{size:,} bytes); it was refused")
        final = object_path(common_dir, pointer.oid)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)
        return pointer
    finally:
        temp.unlink(missing_ok=True)


def read_chunks(fh: BinaryIO) -> Iterator[bytes]:
    """``fh``'s content in chunks of ``CHUNK`` bytes."""
    while chunk := fh.read(CHUNK):
        yield chunk


def store_file(common_dir: Path, path: Path) -> Pointer:
    """Copy the file at ``path`` into the local store, hashing as it streams; return its pointer."""
    with open(path, "rb") as fh:
        return store_stream(common_dir, read_chunks(fh))


def open_object(common_dir: Path, pointer: Pointer) -> BinaryIO:
    """The verified content of ``pointer``'s object, open for reading. The whole file is hashed before
    it is handed out, so a corrupt or truncated object is refused (``BadObject``), never used."""
    path = object_path(common_dir, pointer.oid)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - handed to the caller, who closes it
    except FileNotFoundError:
        raise GxError(f"LFS object {pointer.oid[:12]} is not in this clone; fetch it with "
                      "`gx artifacts get RUN PATH`") from None
    digest = hashlib.sha256()
    size = 0
    for chunk in read_chunks(fh):
        digest.update(chunk)
        size += len(chunk)
    if size != pointer.size or digest.hexdigest() != pointer.oid:
        fh.close()
        raise BadObject(f"LFS object {pointer.oid[:12]} in {path} is corrupt ({size:,} of {pointer.size:,} bytes, "
                        "sha256 mismatch); delete it and fetch it again")
    fh.seek(0)
    return fh
