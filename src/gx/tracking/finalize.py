"""Turn a run's journal into a commit: at the end of a run, and for runs whose process died."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from gx.errors import GxError
from gx.paths import RepoPaths
from gx.records import KILLED, RunRecord
from gx.tracking import journal
from gx.tracking.redact import scrub_record

#: A run dir with no meta.json and no live owner is a crash during start-up once it is this old.
_ORPHAN_AGE = 60.0


def commit_run_dir(
    paths: RepoPaths, run_dir: Path, status: str | None = None, end_time: float | None = None
) -> RunRecord | None:
    """Record the run in ``run_dir`` exactly once and remove the dir; the caller holds its lock."""
    from gx.store.repo import Store
    from gx.store.write import run_is_recorded, write_run

    meta = journal.read_meta(run_dir)
    if meta is None:
        return None
    rec, ended = journal.build_record(run_dir, meta)
    rec.status = status or ended or KILLED
    rec.end_time = end_time or rec.end_time or journal.last_activity(run_dir)
    if rec.start_time and rec.end_time < rec.start_time:
        rec.end_time = rec.start_time
    scrub_record(rec)
    with Store(paths) as store:
        rec.author = store.identity().decode("utf-8", "replace")
        if not (meta.get("recovering") and run_is_recorded(store, rec.experiment, rec.run_id, rec.start_time)):
            journal.write_json_atomic(run_dir / journal.META_FILE, {**meta, "recovering": True})
            rec.commit = write_run(store, rec).decode()
    journal.remove_run_dir(run_dir)
    return rec


def recover_dead_runs(paths: RepoPaths) -> list[RunRecord]:
    """Record every run whose processes are all gone (SIGKILL, power loss) as KILLED."""
    runs_dir = paths.runs_dir
    if not runs_dir.is_dir():
        return []
    recovered = []
    for run_dir in runs_dir.iterdir():
        if not run_dir.is_dir():
            continue
        fd = journal.hold_lock(run_dir, exclusive=True, wait=False)
        if fd is None:
            continue  # somebody is still logging into it
        try:
            if journal.read_meta(run_dir) is None:
                if not run_dir.exists() or time.time() - run_dir.stat().st_mtime > _ORPHAN_AGE:
                    journal.remove_run_dir(run_dir)
                continue
            try:
                rec = commit_run_dir(paths, run_dir)
            except GxError as exc:
                print(f"gx: could not record dead run {run_dir.name}: {exc}", file=sys.stderr)
                continue
            if rec is not None:
                recovered.append(rec)
        finally:
            os.close(fd)
    return recovered
