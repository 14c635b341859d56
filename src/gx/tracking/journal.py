"""The append-only journal of a live run under ``.git/gx/runs/<run_id>/`` (no git code here).

Each process that logs into a run appends a line per flush (a JSON array of entries) to its own
``journal-<pid>.jsonl`` and
holds a shared ``flock`` on ``lock`` for as long as it lives; a run whose lock nobody holds is
dead, and the next gx command records it (see ``gx.recovery``). Calls only append to an
in-memory deque; a daemon thread writes it out at least every ``FLUSH_INTERVAL`` seconds.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: liveness falls back to the owner pid
    fcntl = None  # type: ignore[assignment]

from gx.records import ArtifactLink, MetricPoint, RunRecord

FLUSH_INTERVAL = 0.5
META_FILE = "meta.json"
LOCK_FILE = "lock"
ARTIFACTS = "artifacts"
PATCH = "source.patch"
PACKAGES = "packages.txt"
OUTPUT = "output"


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


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


class JournalWriter:
    """Buffers journal entries in memory and appends them to this process's segment file."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._queue: collections.deque[tuple[Any, ...]] = collections.deque()
        self._write_lock = threading.Lock()
        self._closed = False
        self._open_segment()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._flush_loop, name="gx-journal", daemon=True)
        self._thread.start()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork)

    def _open_segment(self) -> None:
        self._lock_fd = hold_lock(self.run_dir)
        self._pid = os.getpid()
        self._file = open(self.run_dir / f"journal-{self._pid}.jsonl", "ab")  # noqa: SIM115

    def _after_fork(self) -> None:
        # A forked worker (multiprocessing) logs into its own segment with its own flusher.
        if self._closed or not self.run_dir.exists():
            return
        self._queue = collections.deque()
        self._write_lock = threading.Lock()
        self._open_segment()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._flush_loop, name="gx-journal", daemon=True)
        self._thread.start()

    def append(self, entry: tuple[Any, ...]) -> None:
        self._queue.append(entry)

    def _flush_loop(self) -> None:
        while not self._closed:
            self._wake.wait(FLUSH_INTERVAL)
            try:
                self.flush(sync=True)
            except (OSError, ValueError):  # the run dir vanished or the file closed under us
                return

    def flush(self, sync: bool = False) -> None:
        """Write queued entries; with ``sync``, also fsync them if anything was written."""
        with self._write_lock:
            queue = self._queue
            batch = []
            while queue:
                batch.append(queue.popleft())
            if batch and not self._file.closed:
                # one JSON array of entries per line: a single C-encoder call per flush
                self._file.write((json.dumps(batch, ensure_ascii=False) + "\n").encode("utf-8"))
                self._file.flush()
                if sync:
                    os.fsync(self._file.fileno())

    def close(self) -> None:
        """Flush everything, stop the thread and release this process's hold on the run."""
        if self._closed:
            return
        # no fsync here: the run is committed next, and what the OS holds survives a crash of ours
        self.flush()
        self._closed = True
        self._wake.set()
        self._file.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None


def create_run_dir(runs_dir: Path, run_id: str, meta: dict[str, Any]) -> tuple[Path, int | None]:
    """Make the run's directory and hold its lock before meta exists, so recovery never races us."""
    run_dir = runs_dir / run_id
    (run_dir / ARTIFACTS).mkdir(parents=True, exist_ok=True)
    lock_fd = hold_lock(run_dir)
    write_json_atomic(run_dir / META_FILE, meta)
    return run_dir, lock_fd


def read_meta(run_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((run_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def iter_entries(run_dir: Path) -> list[list[Any]]:
    """Every complete journal line of every segment, ordered by segment then line."""
    entries: list[list[Any]] = []
    for segment in sorted(run_dir.glob("journal-*.jsonl")):
        for raw in segment.read_bytes().splitlines():
            try:
                batch = json.loads(raw)
            except ValueError:  # a line cut short by a crash
                continue
            if isinstance(batch, list):
                entries.extend(e for e in batch if isinstance(e, list) and e)
    return entries


def build_record(run_dir: Path, meta: dict[str, Any]) -> tuple[RunRecord, str | None]:
    """Fold meta and journal into a record; returns it with the status the run ended with, if any."""
    rec = RunRecord(run_id=meta["run_id"], experiment=meta["experiment"], name=meta.get("name") or "")
    for attr in ("start_time", "command", "host", "python", "platform", "gx_version", "env", "source",
                 "exit_code", "signal"):
        if meta.get(attr) is not None:
            setattr(rec, attr, meta[attr])
    rec.params.update(meta.get("params") or {})
    rec.tags.update(meta.get("tags") or {})
    ended: str | None = None
    for entry in iter_entries(run_dir):
        kind = entry[0]
        if kind == "m":
            _, key, value, step, ts = entry
            rec.metrics.setdefault(key, []).append(MetricPoint(int(step), float(ts), float(value)))
        elif kind == "p":
            rec.params.setdefault(entry[1], entry[2])
        elif kind == "t":
            rec.tags[entry[1]] = entry[2]
        elif kind == "n":
            rec.name = entry[1]
        elif kind == "e":
            ended, rec.end_time = entry[1], entry[2]
            if len(entry) > 3 and entry[3]:
                rec.error = entry[3]
    for points in rec.metrics.values():
        points.sort(key=lambda p: (p.step, p.timestamp))
    art_root = run_dir / ARTIFACTS
    for path in sorted(art_root.rglob("*")):
        if path.is_symlink():  # staged by log_artifact_link: record the link, never what it points to
            rec.artifacts[path.relative_to(art_root).as_posix()] = ArtifactLink(os.fsencode(os.readlink(path)))
        elif path.is_file():
            rec.artifacts[path.relative_to(art_root).as_posix()] = path.read_bytes()
    patch = run_dir / PATCH
    if patch.exists():
        rec.source_patch = patch.read_bytes()
    packages = run_dir / PACKAGES
    if packages.exists():
        rec.packages = packages.read_text(encoding="utf-8").splitlines()
    for stream in ("stdout", "stderr"):
        tail = run_dir / OUTPUT / f"{stream}.txt"
        if tail.exists():
            setattr(rec, f"{stream}_tail", tail.read_bytes() or None)
    return rec, ended


def remove_run_dir(run_dir: Path) -> None:
    shutil.rmtree(run_dir, ignore_errors=True)


def last_activity(run_dir: Path) -> float:
    """The newest mtime among the run's files: when it last flushed anything."""
    times = [p.stat().st_mtime for p in run_dir.glob("journal-*.jsonl")]
    return max(times, default=(run_dir / META_FILE).stat().st_mtime if (run_dir / META_FILE).exists() else time.time())
