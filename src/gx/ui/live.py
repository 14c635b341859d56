"""Runs in progress, read from their journals under ``.git/gx/runs/`` before they are committed.

A journal is local but still treated as untrusted: each run directory is read only when its files
add up to less than ``MAX_LIVE_BYTES``, and a malformed one is skipped, never an error.
"""

from __future__ import annotations

import os
from pathlib import Path

from gx.errors import GxError
from gx.paths import RepoPaths
from gx.records import RUNNING, RunRecord, RunSummary
from gx.tracking import journal
from gx.tracking.replay import build_record

#: A run directory bigger than this (journal segments, staged artifacts, output) is not shown live.
MAX_LIVE_BYTES = 64 * 1024 * 1024
#: At most this many live runs are read per request.
MAX_LIVE_RUNS = 200


def _size(run_dir: Path) -> int | None:
    """Total bytes of the run's regular files, or None once it passes the limit."""
    total = 0
    for path in run_dir.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
            if total > MAX_LIVE_BYTES:
                return None
    return total


def _alive(run_dir: Path) -> bool:
    """Somebody holds the run's lock: a writer is still logging (a dead run waits for recovery)."""
    fd = journal.hold_lock(run_dir, exclusive=True, wait=False)
    if fd is None:
        return True
    os.close(fd)
    return False


def live_records(paths: RepoPaths) -> list[RunRecord]:
    """Every run in progress whose journal can be read within the limits, newest first."""
    runs_dir = paths.runs_dir
    if not runs_dir.is_dir():
        return []
    out: list[RunRecord] = []
    for run_dir in sorted(runs_dir.iterdir())[:MAX_LIVE_RUNS]:
        record = live_record(run_dir)
        if record is not None:
            out.append(record)
    out.sort(key=lambda r: r.start_time or 0.0, reverse=True)
    return out


def live_record(run_dir: Path) -> RunRecord | None:
    """The run in ``run_dir`` as a RUNNING record, or None (not alive, too big, malformed)."""
    try:
        if not run_dir.is_dir() or run_dir.is_symlink() or _size(run_dir) is None or not _alive(run_dir):
            return None
        meta = journal.read_meta(run_dir)
        if not isinstance(meta, dict) or not isinstance(meta.get("run_id"), str) \
                or not isinstance(meta.get("experiment"), str):
            return None
        record, ended, _problems = build_record(run_dir, meta)  # problems: shown when it is recorded
    except (OSError, ValueError, TypeError, KeyError, GxError):  # malformed: not shown live, never an error
        return None
    if ended is not None:
        return None  # ended: being committed right now, the refs will show it
    record.status = RUNNING
    return record


def live_summaries(paths: RepoPaths) -> list[RunSummary]:
    return [RunSummary.from_record(r) for r in live_records(paths)]


def journal_stamp(paths: RepoPaths) -> tuple[tuple[str, int, int], ...]:
    """What changes when any journal grows or a run starts or ends (cheap: stat calls only)."""
    runs_dir = paths.runs_dir
    if not runs_dir.is_dir():
        return ()
    stamp = []
    for run_dir in sorted(runs_dir.iterdir())[:MAX_LIVE_RUNS]:
        for segment in sorted(run_dir.glob("journal-*.jsonl")):
            try:
                st = segment.stat()
            except OSError:
                continue
            stamp.append((str(segment.relative_to(runs_dir)), st.st_size, st.st_mtime_ns))
    return tuple(stamp)
