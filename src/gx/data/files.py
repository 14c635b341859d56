"""Files as run inputs (``gx run --input``, gx.yaml's ``inputs:``): size and hashes, read in chunks so a
file of any size costs a fixed 1 MiB of memory, and once while it is unchanged (``hashcache``).

One pass gives the sha256 and, for a file git tracks, the git blob id. What git, Git LFS or DVC already know is used rather
than read again: an LFS pointer file names its content's sha256 (``gx.lfs.pointer``); a DVC-tracked
file has the md5 DVC recorded (``gx.data.dvc``); a tracked file's state comes from the git index.
"""

from __future__ import annotations

import glob
import hashlib
import os
import stat
import time
from pathlib import Path

from gx import limits
from gx.data.dvc import dvc_record
from gx.data.hashcache import CACHE_NAME, HashCache
from gx.errors import BadFile
from gx.lfs import pointer
from gx.paths import RepoPaths
from gx.runinputs import FileFacts, RunInput, check_input
from gx.store.gitindex import read_index

#: Bytes read at a time: memory stays flat whatever the file's size.
CHUNK_BYTES = 1024 * 1024
_GLOB_CHARS = frozenset("*?[")


def expand(patterns: list[str] | tuple[str, ...], base: Path | None = None) -> list[Path]:
    """The files ``patterns`` name (paths or globs, ``**`` included), each once, in the order given;
    a missing path, a directory, or a glob matching no file is a BadFile naming it."""
    out: list[Path] = []
    for pattern in patterns:
        full = os.path.join(base, pattern) if base is not None else pattern
        if _GLOB_CHARS & set(pattern):
            found = [Path(p) for p in sorted(glob.glob(full, recursive=True)) if os.path.isfile(p)]
            if not found:
                raise BadFile(f"input {pattern!r} matches no file")
        else:
            found = [Path(full)]
            if not found[0].exists():
                raise BadFile(f"input {pattern!r} does not exist")
            if found[0].is_dir():
                raise BadFile(f"input {pattern!r} is a directory; give files, or a glob such as '{pattern.rstrip('/')}/*.csv'")
        out.extend(p for p in found if p not in out)
    return out


def hash_file(path: Path, git_blob: bool = True) -> tuple[int, str, str | None]:
    """(size, sha256, git blob id) of a regular file, streamed; the blob id (a second hash over the same
    chunks) only when asked for. BadFile when the file cannot be read whole."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise BadFile(f"input {str(path)!r} is not a regular file")
            sha256 = hashlib.sha256()
            blob = hashlib.sha1(b"blob %d\0" % st.st_size) if git_blob else None
            buffer = bytearray(CHUNK_BYTES)
            view, total = memoryview(buffer), 0
            while (n := fh.readinto(buffer)) > 0:
                sha256.update(view[:n])
                if blob is not None:
                    blob.update(view[:n])
                total += n
    except OSError as exc:
        raise BadFile(f"cannot read input {str(path)!r}: {exc.strerror or exc}") from None
    if total != st.st_size:
        raise BadFile(f"input {str(path)!r} changed size while it was read; run again once it is written")
    return total, sha256.hexdigest(), None if blob is None else blob.hexdigest()


def _staged_blob(paths: RepoPaths | None, relative: str | None) -> tuple[bool, str | None]:
    """(whether git's index could be asked, the blob id staged at ``relative`` or None if untracked)."""
    if paths is None or relative is None or not (paths.git_dir / "index").is_file():
        return False, None
    try:
        entry = read_index(str(paths.git_dir / "index")).get(relative)
    except (OSError, ValueError, IndexError):
        return False, None
    if entry is None:
        return True, None
    return True, entry[1].decode() if isinstance(entry[1], bytes) else str(entry[1])


def _relative(path: Path, paths: RepoPaths | None) -> str | None:
    if paths is None or paths.worktree is None:
        return None
    try:
        return path.resolve().relative_to(paths.worktree.resolve()).as_posix()
    except ValueError:
        return None


def file_facts(path: Path, paths: RepoPaths | None) -> FileFacts:
    """Everything gx records about one input file (the repository's, when ``paths`` is given)."""
    st = limits.stat_regular_file(path, "input")
    relative = _relative(path, paths)
    facts = FileFacts(path=relative or str(path.resolve()), size=st.st_size)
    if st.st_size < pointer.MAX_POINTER_BYTES:
        with open(path, "rb") as fh:
            lfs = pointer.parse(fh.read(pointer.MAX_POINTER_BYTES))
        if lfs is not None:  # the content is in LFS; the pointer names it
            facts.lfs_oid, facts.size = lfs.oid, lfs.size
    dvc = dvc_record(path.resolve(), paths.worktree.resolve(), st) if relative and paths and paths.worktree else None
    if dvc is not None:
        facts.dvc_md5 = dvc.md5
        facts.dvc_file = _relative(dvc.record_file, paths) or str(dvc.record_file)
    asked, staged = _staged_blob(paths, relative)
    if dvc is None:  # the one read of the content: sha256 (unless LFS named it), and the blob id if git tracks it
        size, sha256, blob = _hashes(path, st, paths, need_blob=staged is not None)
        if facts.lfs_oid is None:
            facts.size, facts.sha256 = size, sha256
        if asked:
            facts.git = "untracked" if staged is None else "clean" if staged == blob else "modified"
            facts.git_blob = blob if staged is not None else None
    elif asked and staged is None:  # DVC's data is git-ignored: said without reading the content
        facts.git = "untracked"
    return facts


def _hashes(path: Path, st: os.stat_result, paths: RepoPaths | None, need_blob: bool) -> tuple[int, str, str | None]:
    """(size, sha256, blob id) from the hash cache while the file's stat is unchanged, else read now."""
    cache = HashCache(paths.gx_dir / "cache" / CACHE_NAME if paths is not None else None)
    key = path.resolve()
    known = cache.get(key, st, need_blob)
    if known is not None:
        return st.st_size, known[0], known[1] if need_blob else None
    started = time.time_ns()
    size, sha256, blob = hash_file(path, git_blob=need_blob)
    cache.put(key, st, started, sha256, blob)
    return size, sha256, blob


def file_input(path: Path, paths: RepoPaths | None, context: str | None = None) -> RunInput:
    """A file as a run input: named by its file name, its digest the first 8 digits of its hash."""
    facts = file_facts(path, paths)
    content = facts.content_ids()
    digest = content.get("sha256") or content["md5"]
    value = {"name": path.name, "digest": digest[:8], "source_type": "local", "source": facts.path,
             "tags": {"mlflow.data.context": context} if context else {}, "file": facts.to_dict()}
    return check_input(value)
