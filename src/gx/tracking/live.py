"""A live run: in-memory state and a journal writer; ``new_run`` creates one (API and ``gx run``).

Logging calls validate, update a little state and append to the journal's in-memory queue;
nothing here touches git until the owner records the run at the end.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gx import values
from gx.errors import GxError, ParamConflict
from gx.paths import RepoPaths, find_repo
from gx.records import RUNNING
from gx.store.refs import DEFAULT_EXPERIMENT, check_no_clash, local_experiment_names
from gx.tracking import journal
from gx.tracking.capture import system_info
from gx.tracking.entities import Run, RunData, RunInfo
from gx.tracking.writer import JournalWriter
from gx.values import check_artifact_path, check_key, metric_value, param_value, tag_value

ENV_RUN_ID = "GX_RUN_ID"
ENV_RUN_DIR = "GX_RUN_DIR"
ENV_EXPERIMENT = "GX_EXPERIMENT"
ENV_PARAMS = "GX_PARAMS"
ENV_RUN_NAME = "GX_RUN_NAME"

_MISSING = object()


def _same_param(a: Any, b: Any) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool) and isinstance(a, str) == isinstance(b, str)


class LiveRun:
    """A run being logged by this process: in-memory state plus a journal writer."""

    def __init__(self, run_id: str, experiment: str, run_dir: Path, name: str, owner: bool,
                 params: Mapping[str, Any] | None = None, start_time: float | None = None,
                 lock_fd: int | None = None, paths: RepoPaths | None = None,
                 meta: dict[str, Any] | None = None) -> None:
        self.paths = paths
        self.run_id = run_id
        self.experiment = experiment
        self.run_dir = run_dir
        self.name = name
        self.owner = owner
        self.start_time = start_time or time.time()
        self.status = RUNNING
        self.params: dict[str, Any] = dict(params or {})
        self.tags: dict[str, str] = {}
        self._metrics: dict[str, list[Any]] = {}  # key -> [next_step, last_step, last_value]
        self._lock_fd = lock_fd
        self.meta = meta  # the owner's meta.json, kept in memory: it is written back if removed
        self.background: list[threading.Thread] = []  # capture work to wait for before committing
        self.writer = JournalWriter(run_dir, on_restore=self._restore_meta if owner else None)
        self._append = self.writer.append

    # -- logging (hot path first) ---------------------------------------------------------
    def log_metric(self, key: str, value: Any, step: int | None = None, timestamp: float | None = None) -> None:
        kind = type(value)
        if kind is not float and kind is not int:
            value = metric_value(key, value)
        state = self._metrics.get(key)
        if state is None:
            check_key("metric", key)
            state = self._metrics[key] = [0, -1, value]
        if step is None:
            step = state[0]
        elif type(step) is not int:
            step = int(step)
        if step >= state[0]:
            state[0] = step + 1
        if step >= state[1]:
            state[1] = step
            state[2] = value
        self._append(("m", key, value, step, time.time() if timestamp is None else _seconds(timestamp)))

    def log_param(self, key: str, value: Any) -> Any:
        check_key("param", key)
        value = param_value(key, value)
        old = self.params.get(key, _MISSING)
        if old is not _MISSING:
            if not _same_param(old, value):
                raise ParamConflict(
                    f"param {key!r} is already {old!r} in this run; cannot change it to {value!r} "
                    "(params are immutable: start a new run, or log it under another name)"
                )
            return value
        self.params[key] = value
        self._append(("p", key, value))
        return value

    def set_tag(self, key: str, value: Any) -> None:
        check_key("tag", key)
        value = tag_value(key, value)
        self.tags[key] = value
        self._append(("t", key, value))

    def set_name(self, name: str) -> None:
        self.name = name
        self._append(("n", name))

    def log_artifact_bytes(self, artifact_path: str, content: bytes) -> None:
        check_artifact_path(artifact_path)
        limit = values.MAX_ARTIFACT_BYTES
        if len(content) > limit:
            raise GxError(
                f"artifact {artifact_path!r} is {len(content) / 1048576:.1f} MiB, over the "
                f"{limit / 1048576:.0f} MiB limit for small artifacts; keep large files out of "
                "the run (or raise GX_MAX_ARTIFACT_MB)"
            )
        target = self.run_dir / journal.ARTIFACTS / artifact_path
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(content)
        os.replace(tmp, target)
        self._append(("a", artifact_path))

    @property
    def metrics(self) -> dict[str, Any]:
        return {k: s[2] for k, s in self._metrics.items()}

    def to_run(self) -> Run:
        info = RunInfo(self.run_id, self.experiment, self.name, self.status, self.start_time, None)
        return Run(info, RunData(dict(self.params), self.metrics, dict(self.tags)))

    # -- ending -----------------------------------------------------------------------
    def _restore_meta(self) -> None:
        """The run's directory was removed and written back: hold its new lock, put meta back."""
        old, self._lock_fd = self._lock_fd, journal.hold_lock(self.run_dir)
        journal.close_fd(old)
        if self.meta is not None:
            journal.write_json_atomic(self.run_dir / journal.META_FILE, self.meta)

    def finish(self, status: str, error: str | None = None, report: bool = True) -> str | None:
        """Close the journal; the owner then records the run as a commit. Never raises: returns
        None once the run is recorded (or handed to its owner), else what went wrong, which is
        also printed unless ``report`` is false."""
        self.status = status
        end = time.time()
        self._append(("e", status, end, error))
        # the owner records from memory what the disk would not take; a child has to wait for it
        unwritten = self.writer.close(retry_for=0.0 if self.owner else 2.0)
        problem = None
        if not self.owner:
            if unwritten:
                problem = (f"{_writes(unwritten)} of run {self.run_id[:8]} could not be saved "
                           f"({self.writer.failure}); what they held is lost")
        else:
            problem = self._record(status, end, unwritten)
        if problem and report:
            journal.say(problem)
        return problem

    def _record(self, status: str, end: float, unwritten: bytes) -> str | None:
        for thread in self.background:
            thread.join(timeout=10)
        if not self.run_dir.is_dir():  # removed, and the writer could not put it back
            return (f"the journal of run {self.run_id[:8]} was removed while the run was live "
                    f"({journal.shown_path(self.run_dir)}) and could not be written back; the run is not recorded")
        try:
            from gx.tracking.finalize import commit_run_dir

            commit_run_dir(self.paths or find_repo(), self.run_dir, status=status, end_time=end,
                           meta=self.meta, unwritten=unwritten)
            return None
        except Exception as exc:  # a git problem must never crash a training run
            problem = (f"could not record run {self.run_id[:8]}: {journal.describe(exc)}; its journal is "
                       f"kept in {journal.shown_path(self.run_dir)}, and the next gx command records it")
            if unwritten:
                try:
                    journal.append_lines(self.run_dir, unwritten)
                except OSError:
                    problem += f"; what {_writes(unwritten)} held never reached the disk and is lost"
            return problem
        finally:
            journal.close_fd(self._lock_fd)
            self._lock_fd = None


def _writes(lines: bytes) -> str:
    count = lines.count(b"\n")
    return f"{count} journal write{'s' if count != 1 else ''}"


def _seconds(timestamp: float) -> float:
    """MLflow passes timestamps in milliseconds; accept both."""
    return timestamp / 1000.0 if timestamp > 1e11 else float(timestamp)


def attached_run() -> LiveRun | None:
    """The run ``gx run`` owns, when this process is its child (``GX_RUN_*`` variables)."""
    run_id, run_dir = os.environ.get(ENV_RUN_ID), os.environ.get(ENV_RUN_DIR)
    if not run_id or not run_dir or not Path(run_dir).is_dir():
        return None
    params = json.loads(os.environ.get(ENV_PARAMS) or "{}")
    name = os.environ.get(ENV_RUN_NAME, "")
    meta = journal.read_meta(Path(run_dir)) or {}
    try:
        return LiveRun(run_id, meta.get("experiment") or os.environ.get(ENV_EXPERIMENT, DEFAULT_EXPERIMENT),
                       Path(run_dir), name, owner=False, params=params, start_time=meta.get("start_time"))
    except OSError as exc:
        raise not_writable(exc, Path(run_dir)) from None


def record_source(paths: RepoPaths, run_dir: Path, meta: dict[str, Any]) -> None:
    """Capture HEAD (and a snapshot of uncommitted changes) into the run's meta; never raises."""
    try:
        from gx.store.repo import Store
        from gx.store.source import capture_source

        with Store(paths) as store:
            source, patch = capture_source(store, meta["run_id"])
        meta["source"] = source
        if patch:
            (run_dir / journal.PATCH).write_bytes(patch)
        journal.write_json_atomic(run_dir / journal.META_FILE, meta)
    except Exception as exc:  # never block a run on source capture
        print(f"gx: could not capture the source code state ({exc})", file=sys.stderr)


def new_run(experiment: str, name: str | None, command: list[str] | None, params: Mapping[str, Any] | None = None,
            tags: Mapping[str, str] | None = None, capture_source: bool = True) -> tuple[LiveRun, dict[str, Any]]:
    """Create the run's journal directory (and capture its source) — shared with ``gx run``,
    which captures the source itself while its child starts (``capture_source=False``)."""
    from gx.tracking.redact import allowed_env, redact_command

    paths = find_repo()
    if command is not None:
        command = redact_command(command)[0]
    run_id = uuid.uuid4().hex
    start = time.time()
    meta: dict[str, Any] = {
        "run_id": run_id, "experiment": experiment, "name": name or "", "start_time": start,
        "command": command, "env": allowed_env(), "params": dict(params or {}), "tags": dict(tags or {}),
        "owner_pid": os.getpid(), **system_info(),
    }
    # refuse 'a/b' beside 'a' before writing anything (pure Python: no git code loaded yet)
    check_no_clash(experiment, local_experiment_names(paths.common_dir))
    lock_fd = None
    try:
        paths.runs_dir.mkdir(parents=True, exist_ok=True)
        run_dir, lock_fd = journal.create_run_dir(paths.runs_dir, run_id, meta)
        live = LiveRun(run_id, experiment, run_dir, name or "", owner=True, params=params,
                       start_time=start, lock_fd=lock_fd, paths=paths, meta=meta)
    except OSError as exc:
        journal.close_fd(lock_fd)
        journal.remove_run_dir(paths.runs_dir / run_id)  # nothing was logged into it yet
        raise not_writable(exc, paths.runs_dir) from None
    if capture_source:
        record_source(paths, run_dir, meta)
    live.tags.update(tags or {})
    return live, meta


def not_writable(exc: OSError, where: Path) -> GxError:
    """The error for a repository gx cannot write its journals into (read-only, full, not ours)."""
    place = journal.shown_path(Path(exc.filename) if isinstance(exc.filename, str) else where)
    need = "free space on its disk" if exc.errno == errno.ENOSPC else "write access to it"
    return GxError(f"cannot write to {place} ({exc.strerror or exc}): gx keeps live runs under the "
                   f"repository's .git/gx, so recording a run needs {need}")
