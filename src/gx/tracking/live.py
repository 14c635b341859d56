"""A live run: in-memory state and a journal writer; ``new_run`` creates one (API and ``gx run``).

Logging calls validate, update a little state and append to the journal's in-memory queue;
nothing here touches git until the owner records the run at the end.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable

from gx import limits, values
from gx.errors import BadValue, ParamConflict
from gx.paths import RepoPaths, find_repo
from gx.records import RUNNING
from gx.runinputs import RunInput, merge_input
from gx.store.refs import DEFAULT_EXPERIMENT, check_no_clash, local_experiment_names
from gx.tracking import journal
from gx.tracking.capture import system_info
from gx.tracking.checks import check_room, check_start
from gx.tracking.entities import Run, RunData, RunInfo
from gx.tracking.startup import not_writable, record_source
from gx.tracking.writer import JournalWriter
from gx.values import (
    check_artifact_path,
    check_key,
    metric_value,
    param_value,
    run_name,
    step_value,
    tag_value,
    timestamp_seconds,
)

ENV_RUN_ID = "GX_RUN_ID"
ENV_RUN_DIR = "GX_RUN_DIR"
ENV_EXPERIMENT = "GX_EXPERIMENT"
ENV_RUN_NAME = "GX_RUN_NAME"

_MISSING = object()
_FLOAT_MAX = sys.float_info.max
_STEP_RANGE = values.STEP_RANGE


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
        self._artifacts: set[str] = set()
        self._lfs_paths: set[str] = set()  # and the size of their .gitattributes lines, bounded
        self._lfs_bytes = 0
        self.lfs: Any = None  # gx.lfs.config.LfsSettings, read at the first artifact
        self.inputs: list[RunInput] = []
        self._lock_fd = lock_fd
        self.meta = meta  # the owner's meta.json, kept in memory: it is written back if removed
        self.background: list[threading.Thread] = []  # capture work to wait for before committing
        self.on_recorded: list[Callable[[str, str], None]] = []  # (commit, experiment) once it is a commit
        self.writer = JournalWriter(run_dir, on_restore=self._restore_meta if owner and meta is not None else None)
        self._append = self.writer.append

    # -- logging (hot path first) ---------------------------------------------------------
    def log_metric(self, key: str, value: Any, step: int | None = None, timestamp: float | None = None) -> None:
        kind = type(value)
        if kind is not float and (kind is not int or not -_FLOAT_MAX <= value <= _FLOAT_MAX):
            value = metric_value(key, value)
        if step is not None and (type(step) is not int or not -_STEP_RANGE <= step < _STEP_RANGE):
            step = step_value(key, step)
        when = time.time() if timestamp is None else timestamp_seconds(key, timestamp)
        state = self._metrics.get(key)
        if state is None:
            check_key("metric", key)
            check_room("metric", key, self._metrics)
            self._check_file_room(f"metric {key!r}")
            state = self._metrics[key] = [0, -1, value]
        if step is None:
            step = state[0]
        if step >= state[0]:
            state[0] = step + 1
        if step >= state[1]:
            state[1] = step
            state[2] = value
        self._append(("m", key, value, step, when))

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
        check_room("param", key, self.params)
        self.params[key] = value
        self._append(("p", key, value))
        return value

    def set_tag(self, key: str, value: Any) -> None:
        check_key("tag", key)
        value = tag_value(key, value)
        if key not in self.tags:
            check_room("tag", key, self.tags)
        self.tags[key] = value
        self._append(("t", key, value))

    def set_name(self, name: str) -> None:
        self.name = name = run_name(name)
        self._append(("n", name))

    def log_input(self, run_input: RunInput) -> None:
        """Record a dataset or file the run reads (already checked by whoever built it)."""
        merge_input(self.inputs, run_input)
        self._append(("i", run_input.to_dict()))

    def log_artifact_bytes(self, artifact_path: str, content: bytes) -> None:
        """Stage an artifact's content (over the LFS threshold: its pointer; ``gx.tracking.artifacts``)."""
        from gx.tracking.artifacts import pointer_if_large

        check_artifact_path(artifact_path)
        pointer = pointer_if_large(self, artifact_path, content)
        if pointer is not None:
            self.log_artifact_pointer(artifact_path, pointer)
        else:
            self._stage(artifact_path, content, journal.ARTIFACTS, journal.LFS_POINTERS)

    def log_artifact_pointer(self, artifact_path: str, pointer: bytes) -> None:
        """Stage the pointer file of an artifact whose content is already in the LFS store."""
        check_artifact_path(artifact_path)
        if artifact_path not in self._lfs_paths:
            from gx.store.encode import add_lfs_attribute

            self._lfs_bytes = add_lfs_attribute(self._lfs_bytes, artifact_path)
            self._lfs_paths.add(artifact_path)
        self._stage(artifact_path, pointer, journal.LFS_POINTERS, journal.ARTIFACTS)

    def _stage(self, artifact_path: str, content: bytes, into: str, other: str) -> None:
        if artifact_path not in self._artifacts:
            self._check_file_room(f"artifact {artifact_path!r}")
        target = self.run_dir / into / artifact_path
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(content)
        os.replace(tmp, target)
        if into == journal.ARTIFACTS:
            from gx.store.packs import prepare_blob

            prepare_blob(content)  # a large one is deflated from now on, on another core
        previous = self.run_dir / other / artifact_path  # logged before the other way
        if not previous.is_dir():
            previous.unlink(missing_ok=True)
        self._append(("a", artifact_path))
        self._artifacts.add(artifact_path)

    def _check_file_room(self, what: str) -> None:
        """Refuse a new file that would take the run's tree past ``MAX_FILES_PER_RUN`` files."""
        if len(self._artifacts) + len(self._metrics) + values.FIXED_RUN_FILES >= limits.MAX_FILES_PER_RUN:
            raise BadValue(f"cannot log {what}: a run holds at most {limits.MAX_FILES_PER_RUN:,} files "
                           "(artifacts and metric histories)")

    def log_artifact_link(self, artifact_path: str, target: str) -> None:
        """Stage a symbolic link (recorded with mode 120000); nothing is read through it."""
        check_artifact_path(artifact_path)
        staged = self.run_dir / journal.ARTIFACTS / artifact_path
        staged.parent.mkdir(parents=True, exist_ok=True)
        tmp = staged.with_name(f".{staged.name}.tmp")
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(target, tmp)
        os.replace(tmp, staged)
        self._append(("a", artifact_path))

    @property
    def metrics(self) -> dict[str, Any]:
        return {k: s[2] for k, s in self._metrics.items()}

    def to_run(self) -> Run:
        info = RunInfo(self.run_id, self.experiment, self.name, self.status, self.start_time, None)
        return Run(info, RunData(dict(self.params), self.metrics, dict(self.tags)), inputs=self.inputs)

    # -- ending -----------------------------------------------------------------------
    def _restore_meta(self) -> None:
        """The run's directory was removed and written back: hold its new lock, put meta back."""
        old, self._lock_fd = self._lock_fd, journal.hold_lock(self.run_dir)
        journal.close_fd(old)
        journal.write_json_atomic(self.run_dir / journal.META_FILE, self.meta)

    def finish(self, status: str, error: str | None = None, report: bool = True,
               end_time: float | None = None) -> str | None:
        """Close the journal; the owner then records the run as a commit. Never raises: returns
        None once the run is recorded (or handed to its owner), else what went wrong, which is
        also printed unless ``report`` is false. It ends now unless ``end_time`` (checked) is given."""
        self.status = status
        end = time.time() if end_time is None else end_time
        self._append(("e", status, end, error))
        # the owner records from memory what the disk would not take; a child has to wait for it
        unwritten = self.writer.close(retry_for=0.0 if self.owner else 2.0)
        if self.owner:
            problem = self._record(status, end, unwritten)
        else:  # a child: what the disk would not take is gone with it
            problem = (f"{journal.writes(unwritten)} of run {self.run_id[:8]} could not be saved "
                       f"({self.writer.failure}); what they held is lost") if unwritten else None
        if problem and report:
            journal.say(problem)
        return problem

    def _record(self, status: str, end: float, unwritten: bytes) -> str | None:
        for thread in self.background:
            thread.join(timeout=10)
        from gx.tracking.finalize import record_live

        try:
            return record_live(self, status, end, unwritten)
        finally:
            journal.close_fd(self._lock_fd)
            self._lock_fd = None


def attached_params() -> dict[str, Any]:
    """The params of the run ``gx run`` owns, from its meta.json (never the environment: too small)."""
    run_dir = os.environ.get(ENV_RUN_DIR)
    meta = journal.read_meta(Path(run_dir)) if run_dir and os.environ.get(ENV_RUN_ID) else None
    params = (meta or {}).get("params")
    return dict(params) if isinstance(params, dict) else {}


def attached_run() -> LiveRun | None:
    """The run ``gx run`` owns, when this process is its child (``GX_RUN_*`` variables)."""
    run_id, run_dir = os.environ.get(ENV_RUN_ID), os.environ.get(ENV_RUN_DIR)
    if not run_id or not run_dir or not Path(run_dir).is_dir():
        return None
    name = os.environ.get(ENV_RUN_NAME, "")
    meta = journal.read_meta(Path(run_dir)) or {}
    try:
        return LiveRun(run_id, meta.get("experiment") or os.environ.get(ENV_EXPERIMENT, DEFAULT_EXPERIMENT),
                       Path(run_dir), name, owner=False, params=attached_params(), start_time=meta.get("start_time"))
    except OSError as exc:
        raise not_writable(exc, Path(run_dir)) from None


def new_run(experiment: str, name: str | None, command: list[str] | None, params: Mapping[str, Any] | None = None,
            tags: Mapping[str, str] | None = None, capture_source: bool = True,
            start_time: float | None = None) -> tuple[LiveRun, dict[str, Any]]:
    """Create the run's journal directory (and capture its source) — shared with ``gx run``,
    which captures the source itself while its child starts (``capture_source=False``).
    ``start_time`` (epoch seconds, checked by the caller) is now unless given."""
    from gx.tracking.redact import allowed_env, redact_command

    name, params, tags = check_start(name, params or {}, tags or {})
    paths = find_repo()
    if command is not None:
        command = redact_command(command)[0]
    run_id = uuid.uuid4().hex
    start = time.time() if start_time is None else start_time
    meta: dict[str, Any] = {
        "run_id": run_id, "experiment": experiment, "name": name or "", "start_time": start,
        "command": command, "env": allowed_env(), "params": dict(params or {}), "tags": dict(tags or {}),
        "owner_pid": os.getpid(), **system_info(paths.gx_dir / "cache"),
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
