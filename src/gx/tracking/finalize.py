"""Turn a run's journal into a commit: at the end of a run, and for runs whose process died.

Recovery runs before every gx command, so one bad journal must never stop it: a run that cannot be
recorded is set aside with a message (``setaside``), a run that cannot be recorded *yet* (a full
disk, a read-only ``.git``) stays where it is with a message, and every other run goes on.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

from gx.errors import GxError, NotARepository, StoreConflict
from gx.paths import RepoPaths, find_repo
from gx.records import KILLED, RunRecord
from gx.tracking import journal, replay, setaside
from gx.tracking.journal import describe, say, shown_path
from gx.tracking.redact import scrub_record

#: A run dir with no meta.json and no live owner is a crash during start-up once it is this old.
_ORPHAN_AGE = 60.0
#: When this process last failed to record a run (or to write the runs dir): a command recovers
#: more than once and should say so once, and a long-lived process retries after a while.
_failed_here: dict[Path, float] = {}
_RETRY_AFTER = 30.0


def commit_run_dir(
    paths: RepoPaths, run_dir: Path, status: str | None = None, end_time: float | None = None,
    meta: dict[str, Any] | None = None, unwritten: bytes = b"",
) -> RunRecord:
    """Record the run in ``run_dir`` exactly once, then remove the dir, or set it aside with a
    message when part of it breaks the rules. The caller holds its lock. ``meta`` (the owner's, in
    memory) overrides meta.json; ``unwritten`` are journal lines that never reached the disk.
    Raises ``replay.Unrecordable`` when the run cannot be recorded at all, and GxError or OSError
    when it cannot be recorded now (its journal is then left in place)."""
    from gx.store.repo import Store
    from gx.store.write import run_is_recorded, write_run

    owner = meta is not None
    if meta is None:
        meta = replay.load_meta(run_dir)
    rec, ended, problems = replay.build_record(run_dir, meta, unwritten)
    rec.status = status or ended or KILLED
    rec.end_time = end_time or rec.end_time or journal.last_activity(run_dir)
    if rec.start_time and rec.end_time < rec.start_time:
        rec.end_time = rec.start_time
    scrub_record(rec)
    with Store(paths) as store:
        rec.author = store.identity().decode("utf-8", "replace")
        # a crash between moving the ref and removing the dir leaves a recorded run's journal:
        # recovery (no owner's meta) looks for the run on the experiment before recording it
        if owner or not run_is_recorded(store, rec.experiment, rec.run_id, rec.start_time):
            if not owner:  # only a marker for people looking at a recovery; a full disk may refuse it
                with contextlib.suppress(OSError):
                    journal.write_json_atomic(run_dir / journal.META_FILE, {**meta, "recovering": True})
            rec.commit = write_run(store, rec).decode()
    if problems:
        say(setaside.keep_rest(paths, run_dir, problems))
    else:
        journal.remove_run_dir(run_dir)
    return rec


def record_live(live: Any, status: str, end: float, unwritten: bytes) -> str | None:
    """Record the run a process owns (a ``LiveRun``, holding its lock) at its end, from its meta and
    the journal lines the disk would not take; then run its ``on_recorded`` callbacks. Never
    raises: returns None once the run is a commit, else what went wrong."""
    run = live.run_id[:8]
    if not live.run_dir.is_dir():  # removed, and the writer could not put it back
        return (f"the journal of run {run} was removed while the run was live and could not be written "
                "back; the run is not recorded")
    try:
        rec = commit_run_dir(live.paths or find_repo(), live.run_dir, status=status, end_time=end,
                             meta=live.meta, unwritten=unwritten)
    except Exception as exc:  # a git problem must never crash a training run
        problem = (f"could not record run {run}: {describe(exc)}; its journal is kept in "
                   f"{shown_path(live.run_dir)}, and the next gx command records it")
        if unwritten:
            try:
                journal.append_lines(live.run_dir, unwritten)
            except OSError:
                problem += f"; what {journal.writes(unwritten)} held never reached the disk and is lost"
        return problem
    for callback in live.on_recorded if rec.commit else ():
        try:
            callback(rec.commit, rec.experiment)
        except Exception as exc:  # the run is a commit; what was to follow must not crash training
            say(f"run {run} is recorded, but a step after it failed: {describe(exc)}")
    return None


def recover_dead_runs(paths: RepoPaths) -> list[RunRecord]:
    """Record every run whose processes are all gone (SIGKILL, power loss) as KILLED."""
    runs_dir = paths.runs_dir
    try:
        run_dirs = sorted(p for p in runs_dir.iterdir() if p.is_dir() and not p.is_symlink() and not _failed_lately(p))
    except OSError:  # no runs dir (the common case), or one we may not read
        return []
    if _failed_lately(runs_dir):
        return []
    recovered = []
    for run_dir in run_dirs:
        try:
            fd = journal.hold_lock(run_dir, exclusive=True, wait=False)
        except FileNotFoundError:
            continue  # recorded or set aside by another gx command meanwhile
        except OSError as exc:
            _failed_here[runs_dir] = time.monotonic()
            say(f"cannot record the interrupted runs kept in {shown_path(runs_dir)} ({describe(exc)}); "
                "they stay there until gx can write to the repository")
            break
        if fd is None:
            continue  # somebody is still logging into it
        try:
            if _still_there(run_dir, fd):
                rec = _recover(paths, run_dir)
                if rec is not None:
                    recovered.append(rec)
        finally:
            os.close(fd)
    return recovered


def _failed_lately(path: Path) -> bool:
    return time.monotonic() - _failed_here.get(path, -_RETRY_AFTER) < _RETRY_AFTER


def _still_there(run_dir: Path, fd: int) -> bool:
    """Whether the lock we hold is still the run's (another command may have moved the run away)."""
    try:
        return os.stat(run_dir / journal.LOCK_FILE).st_ino == os.fstat(fd).st_ino
    except OSError:
        return False


def _recover(paths: RepoPaths, run_dir: Path) -> RunRecord | None:
    run = run_dir.name[:8]
    if not os.path.lexists(run_dir / journal.META_FILE):
        if time.time() - run_dir.stat().st_mtime < _ORPHAN_AGE:
            return None  # maybe a process still starting up
        if not _holds_data(run_dir):
            journal.remove_run_dir(run_dir)  # a crash during start-up, before anything was logged
            return None
    from gx.store.locks import WriteFailed

    try:
        return commit_run_dir(paths, run_dir)
    except replay.Unrecordable as exc:
        say(setaside.keep_unrecordable(paths, run_dir, str(exc)))
    except (OSError, WriteFailed, StoreConflict, NotARepository) as exc:  # the repository, not the run
        _failed_here[run_dir] = time.monotonic()
        say(f"could not record interrupted run {run} yet: {describe(exc)}; its journal stays in "
            f"{shown_path(run_dir)}, and the next gx command tries again")
    except GxError as exc:  # the run itself: what it holds breaks a rule the store checks
        say(setaside.keep_unrecordable(paths, run_dir, f"gx refuses to write it: {exc}"))
    except Exception as exc:  # a bug must not lock everyone out of every other run
        _failed_here[run_dir] = time.monotonic()
        say(f"could not record interrupted run {run} ({exc!r}; this is a bug in gx, please report it); "
            f"its journal stays in {shown_path(run_dir)}")
    return None


def _holds_data(run_dir: Path) -> bool:
    """Whether anything was logged into the dir (beyond its lock and empty files)."""
    for path in run_dir.rglob("*"):
        try:
            if path.name != journal.LOCK_FILE and path.is_file() and path.stat().st_size > 0:
                return True
        except OSError:
            return True
    return False
