"""The journal directory of a live run, ``.git/gx/runs/<run_id>/``: its layout and file helpers
(no git code here). ``gx.tracking.writer`` appends to it; ``gx.tracking.replay`` reads it back.

Each process that logs into a run appends a line per flush (a JSON array of entries) to its own
``journal-<pid>.jsonl`` and holds a shared ``flock`` on ``lock`` for as long as it lives; a run whose
lock nobody holds is dead, and the next gx command records it (``gx.tracking.finalize``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: liveness falls back to the owner pid
    fcntl = None  # type: ignore[assignment]

FLUSH_INTERVAL = 0.5
META_FILE = "meta.json"
LOCK_FILE = "lock"
ARTIFACTS = "artifacts"
#: Pointer files of artifacts kept in Git LFS, staged by path like ``ARTIFACTS`` (their content is
#: already in the LFS store, so a killed run is recorded with it).
LFS_POINTERS = "lfs-pointers"
PATCH = "source.patch"
PACKAGES = "packages.txt"
OUTPUT = "output"
SEGMENT_GLOB = "journal-*.jsonl"
#: Starts a write after one that failed half-way and could not be cut back: the torn line then ends
#: in '#', so it never parses (nor passes for a complete one; its entries were written again after
#: it) and the new lines start on a line of their own.
TORN_MARK = b"#\n"


def say(message: str) -> None:
    """One ``gx:`` line on stderr, from any thread; a closed stderr is not an error of ours."""
    with contextlib.suppress(OSError, ValueError):
        print(f"gx: {message}", file=sys.stderr, flush=True)


def describe(exc: BaseException) -> str:
    """An OS error as 'No space left on device: <file>', anything else as its message."""
    if isinstance(exc, OSError) and exc.strerror:
        name = exc.filename if isinstance(exc.filename, str) else None
        return f"{exc.strerror}: {shown_path(Path(name))}" if name else exc.strerror
    return str(exc) or type(exc).__name__


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def hold_lock(run_dir: Path, exclusive: bool = False, wait: bool = True) -> int | None:
    """Open and flock the run's lock file; returns the fd (kept open to hold it) or None if busy."""
    fd = os.open(run_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    if fcntl is None:
        return fd
    flags = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    if not wait:
        flags |= fcntl.LOCK_NB
    try:
        fcntl.flock(fd, flags)
    except OSError:
        os.close(fd)
        return None
    return fd


def close_fd(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` (os.write may write less than asked, e.g. on a filling disk)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def shown_path(path: Path) -> str:
    """``path`` relative to the working directory when it is below it, else absolute."""
    try:
        return os.path.relpath(path) if Path.cwd() in path.parents else str(path)
    except (OSError, ValueError):
        return str(path)


def create_run_dir(runs_dir: Path, run_id: str, meta: dict[str, Any]) -> tuple[Path, int | None]:
    """Make the run's directory and hold its lock before meta exists, so recovery never races us."""
    run_dir = runs_dir / run_id
    (run_dir / ARTIFACTS).mkdir(parents=True, exist_ok=True)
    lock_fd = hold_lock(run_dir)
    try:
        write_json_atomic(run_dir / META_FILE, meta)
    except BaseException:
        close_fd(lock_fd)
        raise
    return run_dir, lock_fd


def read_meta(run_dir: Path) -> dict[str, Any] | None:
    """meta.json as a mapping, or None when it is missing or unreadable (``replay`` says why)."""
    try:
        meta = json.loads((run_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def append_lines(run_dir: Path, lines: bytes) -> None:
    """Append already-encoded journal lines to this process's segment (a last try after close)."""
    fd = os.open(run_dir / f"journal-{os.getpid()}.jsonl", os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
        write_all(fd, (TORN_MARK if torn else b"") + lines)
        os.fsync(fd)
    finally:
        os.close(fd)


def writes(lines: bytes) -> str:
    """'3 journal writes': how many flushes ``lines`` (encoded journal lines) hold."""
    count = lines.count(b"\n")
    return f"{count} journal write{'s' if count != 1 else ''}"


def remove_run_dir(run_dir: Path) -> None:
    shutil.rmtree(run_dir, ignore_errors=True)


def last_activity(run_dir: Path) -> float:
    """The newest mtime among the run's files: when it last flushed anything."""
    times = []
    for path in [*run_dir.glob(SEGMENT_GLOB), run_dir / META_FILE]:
        try:
            times.append(path.stat().st_mtime)
        except OSError:
            continue
    return max(times, default=time.time())
