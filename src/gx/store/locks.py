"""Writing objects and refs so that a failed write (a full disk, a read-only ``.git``) leaves nothing
behind and costs one clear error.

dulwich writes a loose object or a ref into ``<path>.lock`` and renames it; when the final flush
fails it keeps the lock, every later write of that object or ref then fails on it, and the file
object retries the failing flush when it is collected (printing a traceback). Loose objects are
therefore written here, as git does (a temporary file renamed into place, no lock); ref updates
stay dulwich's compare-and-swap, and a failed one has its lock file aborted and removed here.
"""

from __future__ import annotations

import contextlib
import os
import time
from types import TracebackType
from typing import Any

from dulwich.objects import ShaFile

from gx.errors import GxError

#: A ref lock this old belongs to a process that died: moving a ref takes milliseconds.
STALE_LOCK_AGE = 30.0
#: git's mode for object files.
_OBJECT_MODE = 0o444


class WriteFailed(GxError):
    """The repository could not be written (a full disk, a read-only ``.git``); no ref moved."""


def write_failed(what: str, exc: OSError) -> WriteFailed:
    return WriteFailed(f"cannot write {what} ({exc.strerror or exc})")


def shown_path(path: str | bytes) -> str:
    """``path`` relative to the working directory when below it (as the user would type it)."""
    text = os.fsdecode(path)
    with contextlib.suppress(OSError, ValueError):
        relative = os.path.relpath(text)
        if not relative.startswith(".."):
            return relative
    return text


def lock_age(path: str | bytes) -> float:
    try:
        return time.time() - os.stat(path).st_mtime
    except OSError:
        return 0.0


def remove_lock(path: str | bytes) -> None:
    """Remove a lock file we made, if it is there (on a read-only filesystem it cannot be there)."""
    with contextlib.suppress(OSError):
        os.remove(path)


def abort_lock_files(tb: TracebackType | None) -> None:
    """Abort dulwich lock files a failed call left open (found in its frames), so none retries its
    flush when collected; aborting twice closes the file, then removes the lock."""
    from dulwich.file import _GitFile

    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            if isinstance(value, _GitFile) and not value.closed:
                for _ in range(2):
                    with contextlib.suppress(OSError):
                        value.abort()
        tb = tb.tb_next


def check_not_stale(ref: bytes, lock: bytes) -> None:
    """Refuse at once to wait for a ref lock left by a process that died (git asks the same)."""
    if lock_age(lock) > STALE_LOCK_AGE:
        raise WriteFailed(f"cannot update {ref.decode()}: {shown_path(lock)} was left by a process that died; "
                          "if no gx or git command is running, remove it and try again")


def ref_write_failed(ref: bytes, lock: bytes, exc: OSError) -> WriteFailed:
    """Clean up after a ref update that failed half-way (a full disk): the lock is ours, since it
    was created with O_EXCL, and dulwich leaves it behind when its final flush fails."""
    abort_lock_files(exc.__traceback__)
    remove_lock(lock)
    return write_failed(ref.decode(), exc)


def write_loose_object(object_store: Any, obj: ShaFile) -> None:
    """Add ``obj`` as a loose object: compressed into a temporary file beside its final path, then
    renamed there, so a failed write leaves at most a ``tmp_obj_*`` file, which is removed."""
    hexsha = obj.id.decode("ascii")
    directory = os.path.join(object_store.path, hexsha[:2])
    path = os.path.join(directory, hexsha[2:])
    if os.path.exists(path):
        with contextlib.suppress(OSError):  # freshen it so a concurrent gc does not prune it
            os.utime(path, None)
        return
    tmp = None
    try:
        os.makedirs(directory, exist_ok=True)
        tmp = os.path.join(directory, f"tmp_obj_{os.urandom(6).hex()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _OBJECT_MODE)  # the mode binds later opens only
        try:
            data = memoryview(obj.as_legacy_object(compression_level=getattr(object_store, "loose_compression_level", -1)))
            while data:
                data = data[os.write(fd, data):]
            if getattr(object_store, "fsync_object_files", False):
                os.fsync(fd)
        finally:
            os.close(fd)
        share_paths(object_store, directory, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.remove(tmp)
        raise write_failed(f"git objects into {shown_path(object_store.path)}", exc) from exc


def share_paths(object_store: Any, *paths: str) -> None:
    """Widen permissions as core.sharedRepository asks (dulwich versions that know it)."""
    perm = getattr(object_store, "shared_perm", None)
    if perm is not None:
        from dulwich.file import adjust_shared_perm

        for path in paths:
            adjust_shared_perm(path, perm)
