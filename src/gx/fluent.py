"""MLflow's fluent API over a live run: calls buffer in memory; git is touched once, at the end.

Under ``gx run`` the child process attaches to the run the parent owns (``GX_RUN_*`` variables)
and only appends to the journal: no dulwich, no pandas on that path.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import platform
import socket
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gx import journal
from gx.errors import BadFile, GxError, ParamConflict
from gx.paths import RepoPaths, find_repo
from gx.record import FAILED, FINISHED, KILLED, RUNNING
from gx.run_object import Run, RunData, RunInfo
from gx.store.refs import DEFAULT_EXPERIMENT, validate_experiment
from gx.values import check_artifact_path, check_key, flatten, metric_value, param_value, tag_value

ENV_RUN_ID = "GX_RUN_ID"
ENV_RUN_DIR = "GX_RUN_DIR"
ENV_EXPERIMENT = "GX_EXPERIMENT"
ENV_PARAMS = "GX_PARAMS"
ENV_RUN_NAME = "GX_RUN_NAME"
MAX_ARTIFACT_BYTES = int(float(os.environ.get("GX_MAX_ARTIFACT_MB", "10")) * 1024 * 1024)

_MISSING = object()


def _same_param(a: Any, b: Any) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool) and isinstance(a, str) == isinstance(b, str)


class LiveRun:
    """A run being logged by this process: in-memory state plus a journal writer."""

    def __init__(self, run_id: str, experiment: str, run_dir: Path, name: str, owner: bool,
                 params: Mapping[str, Any] | None = None, start_time: float | None = None,
                 lock_fd: int | None = None, paths: RepoPaths | None = None) -> None:
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
        self.background: list[threading.Thread] = []  # capture work to wait for before committing
        self.writer = journal.JournalWriter(run_dir)
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
        if len(content) > MAX_ARTIFACT_BYTES:
            raise GxError(
                f"artifact {artifact_path!r} is {len(content) / 1048576:.1f} MiB, over the "
                f"{MAX_ARTIFACT_BYTES / 1048576:.0f} MiB limit for small artifacts; keep large files out of "
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
    def finish(self, status: str, error: str | None = None) -> None:
        """Close the journal; the owner then records the run as a commit (never raising)."""
        self.status = status
        end = time.time()
        self._append(("e", status, end, error))
        self.writer.close()
        if not self.owner:
            return
        for thread in self.background:
            thread.join(timeout=10)
        try:
            from gx.finalize import commit_run_dir

            commit_run_dir(self.paths or find_repo(), self.run_dir, status=status, end_time=end)
        except Exception as exc:  # a git problem must never crash a training run
            print(
                f"gx: could not record run {self.run_id[:8]} yet ({exc}); its journal is kept "
                "under .git/gx/runs and the next gx command records it",
                file=sys.stderr,
            )
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


def _seconds(timestamp: float) -> float:
    """MLflow passes timestamps in milliseconds; accept both."""
    return timestamp / 1000.0 if timestamp > 1e11 else float(timestamp)


_stack: list[LiveRun] = []
_experiment: list[str | None] = [None]
_hooks_installed = [False]


def set_experiment(experiment_name: str) -> str:
    """Runs started after this go to ``experiment_name`` (validated now, created on first run)."""
    _experiment[0] = validate_experiment(experiment_name)
    return experiment_name


def _current_experiment(explicit: str | None) -> str:
    name = explicit or _experiment[0] or os.environ.get(ENV_EXPERIMENT) or _config_experiment() or DEFAULT_EXPERIMENT
    return validate_experiment(name)


def _config_experiment() -> str | None:
    try:
        paths = find_repo()
    except GxError:
        return None
    cfg = paths.gx_dir / "config.json"
    try:
        return json.loads(cfg.read_text(encoding="utf-8")).get("experiment")
    except (OSError, ValueError):
        return None


def _attached_run() -> LiveRun | None:
    """Attach to the run ``gx run`` owns, once per process."""
    run_id, run_dir = os.environ.get(ENV_RUN_ID), os.environ.get(ENV_RUN_DIR)
    if not run_id or not run_dir or not Path(run_dir).is_dir():
        return None
    if any(r.run_id == run_id for r in _stack):
        return None
    params = json.loads(os.environ.get(ENV_PARAMS) or "{}")
    name = os.environ.get(ENV_RUN_NAME, "")
    meta = journal.read_meta(Path(run_dir)) or {}
    return LiveRun(run_id, meta.get("experiment") or os.environ.get(ENV_EXPERIMENT, DEFAULT_EXPERIMENT),
                   Path(run_dir), name, owner=False, params=params, start_time=meta.get("start_time"))


def system_info() -> dict[str, Any]:
    from gx._version import __version__

    return {
        "host": socket.gethostname(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "gx_version": __version__,
    }


def new_run(experiment: str, name: str | None, command: list[str] | None, params: Mapping[str, Any] | None = None,
            tags: Mapping[str, str] | None = None, capture_source: bool = True) -> tuple[LiveRun, dict[str, Any]]:
    """Create the run's journal directory (and capture its source) — shared with ``gx run``."""
    from gx.redact import allowed_env, redact_command

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
    from gx.store.repo import Store
    from gx.store.source import capture_source as capture

    with Store(paths) as store:
        if store.tip(experiment) is None:
            store.check_new_experiment(experiment)  # refuse 'a/b' beside 'a' before writing anything
        paths.runs_dir.mkdir(parents=True, exist_ok=True)
        run_dir, lock_fd = journal.create_run_dir(paths.runs_dir, run_id, meta)
        if capture_source:
            try:
                source, patch = capture(store, run_id)
                meta["source"] = source
                if patch:
                    (run_dir / journal.PATCH).write_bytes(patch)
                journal.write_json_atomic(run_dir / journal.META_FILE, meta)
            except Exception as exc:  # never block a run on source capture
                print(f"gx: could not capture the source code state ({exc})", file=sys.stderr)
    live = LiveRun(run_id, experiment, run_dir, name or "", owner=True, params=params,
                   start_time=start, lock_fd=lock_fd, paths=paths)
    live.tags.update(tags or {})
    return live, meta


_packages_cache: list[str] = []


def _environment_key() -> str:
    """Changes whenever a package is installed or removed (site dirs' mtimes change)."""
    import hashlib

    parts = [sys.executable]
    for entry in sys.path:
        with contextlib.suppress(OSError):
            parts.append(f"{entry}:{os.stat(entry or '.').st_mtime_ns}")
    return hashlib.sha1("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def installed_packages(cache_dir: Path | None = None) -> list[str]:
    """The installed distributions as ``name==version``, sorted.

    Scanning metadata takes ~50 ms, so the list is kept per process and on disk under
    ``.git/gx/cache/`` keyed by the environment (``gx run`` pays it once per environment).
    """
    if _packages_cache:
        return _packages_cache
    cache = cache_dir / f"packages-{_environment_key()}.txt" if cache_dir else None
    if cache is not None and cache.is_file():
        _packages_cache.extend(cache.read_text(encoding="utf-8").splitlines())
        return _packages_cache
    from importlib import metadata

    names = {f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions() if d.metadata["Name"]}
    _packages_cache.extend(sorted(names, key=str.lower))
    if cache is not None:
        with contextlib.suppress(OSError):
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f".{cache.name}.{os.getpid()}")
            tmp.write_text("\n".join(_packages_cache), encoding="utf-8")
            os.replace(tmp, cache)
    return _packages_cache


def write_packages(run_dir: Path) -> None:
    """Record the installed packages into the run dir (called from a background thread)."""
    text = "\n".join(installed_packages(run_dir.parent.parent / "cache")) + "\n"
    with contextlib.suppress(OSError):  # the run may have ended and its dir gone
        (run_dir / journal.PACKAGES).write_text(text, encoding="utf-8")


def start_packages_thread(run_dir: Path) -> threading.Thread:
    thread = threading.Thread(target=write_packages, args=(run_dir,), name="gx-packages", daemon=True)
    thread.start()
    return thread


def start_run(run_id: str | None = None, experiment_id: str | None = None, run_name: str | None = None,
              nested: bool = False, tags: Mapping[str, Any] | None = None, description: str | None = None,
              experiment: str | None = None) -> Run:
    """Start (or, under ``gx run``, join) a run; use as a context manager to end it."""
    if run_id is not None:
        raise GxError("gx cannot resume a finished run (runs are immutable commits); start a new one")
    if _stack and not nested:
        raise GxError(
            f"run {_stack[-1].run_id[:8]} is already active; end it with gx.end_run() first, "
            "or pass nested=True for a child run"
        )
    tags = {k: tag_value(k, v) for k, v in (tags or {}).items()}
    if description:
        tags["description"] = description
    attached = None if nested else _attached_run()
    if attached is not None:
        live = attached
        if run_name:
            live.set_name(run_name)
        for k, v in tags.items():
            live.set_tag(k, v)
    else:
        exp = _current_experiment(experiment or experiment_id)
        if nested and _stack:
            tags["gx.parent_run_id"] = _stack[-1].run_id
        live, _ = new_run(exp, run_name, [sys.executable, *sys.argv], tags=tags)
        live.background.append(start_packages_thread(live.run_dir))
    _stack.append(live)
    _install_exit_hooks()
    return ActiveRun(live)


class ActiveRun(Run):
    """What start_run returns: a Run view that also ends the run when used as a context manager."""

    def __init__(self, live: LiveRun) -> None:
        self._live = live
        snapshot = live.to_run()
        super().__init__(snapshot.info, snapshot.data)

    @property
    def data(self) -> RunData:  # type: ignore[override]
        return self._live.to_run().data

    @data.setter
    def data(self, value: RunData) -> None:
        pass

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._live not in _stack:
            return
        if exc_type is None:
            _end(self._live, FINISHED)
        elif issubclass(exc_type, KeyboardInterrupt):
            _end(self._live, KILLED, "KeyboardInterrupt")
        else:
            _end(self._live, FAILED, _error_text(exc_type, exc, tb))


def _error_text(exc_type: Any, exc: Any, tb: Any) -> str:
    import traceback

    from gx.redact import scrub_text, secret_values_from_env

    lines = traceback.format_exception(exc_type, exc, tb)
    return scrub_text("".join(lines)[-2000:], secret_values_from_env())


def _end(live: LiveRun, status: str, error: str | None = None) -> None:
    if live in _stack:
        # ending a parent ends its nested children first
        while _stack and _stack[-1] is not live:
            _stack.pop().finish(status, error)
        _stack.pop()
    live.finish(status, error)


def end_run(status: str = FINISHED) -> None:
    """End the active run with ``status`` (FINISHED, FAILED or KILLED)."""
    if _stack:
        _end(_stack[-1], status.upper())


def active_run() -> Run | None:
    return ActiveRun(_stack[-1]) if _stack else None


def _live() -> LiveRun:
    if not _stack:
        start_run()
    return _stack[-1]


def log_metric(key: str, value: Any, step: int | None = None, timestamp: float | None = None, **_: Any) -> None:
    (_stack[-1] if _stack else _live()).log_metric(key, value, step, timestamp)


def log_metrics(metrics: Mapping[str, Any], step: int | None = None, timestamp: float | None = None, **_: Any) -> None:
    live = _live()
    for key, value in metrics.items():
        live.log_metric(key, value, step, timestamp)


def log_param(key: str, value: Any, **_: Any) -> Any:
    return _live().log_param(key, value)


def log_params(params: Mapping[str, Any], **_: Any) -> None:
    live = _live()
    for key, value in flatten(params).items():
        live.log_param(key, value)


def set_tag(key: str, value: Any, **_: Any) -> None:
    _live().set_tag(key, value)


def set_tags(tags: Mapping[str, Any], **_: Any) -> None:
    live = _live()
    for key, value in tags.items():
        live.set_tag(key, value)


def params() -> dict[str, Any]:
    """The current run's params, including those given to ``gx run -p``."""
    if _stack:
        return dict(_stack[-1].params)
    attached = os.environ.get(ENV_PARAMS)
    return json.loads(attached) if attached else {}


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    path = Path(local_path)
    if not path.is_file():
        raise BadFile(f"cannot log artifact {str(local_path)!r}: no such file")
    target = f"{artifact_path.strip('/')}/{path.name}" if artifact_path else path.name
    _live().log_artifact_bytes(target, path.read_bytes())


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    root = Path(local_dir)
    if not root.is_dir():
        raise BadFile(f"cannot log artifacts from {str(local_dir)!r}: no such directory")
    live = _live()
    files = [p for p in sorted(root.rglob("*")) if p.is_file()]
    prefix = f"{artifact_path.strip('/')}/" if artifact_path else ""
    for p in files:  # validate every path before writing any
        check_artifact_path(prefix + p.relative_to(root).as_posix())
    for p in files:
        live.log_artifact_bytes(prefix + p.relative_to(root).as_posix(), p.read_bytes())


def log_text(text: str, artifact_file: str) -> None:
    _live().log_artifact_bytes(artifact_file, text.encode("utf-8"))


def log_dict(dictionary: Any, artifact_file: str) -> None:
    """JSON for ``.json``, YAML otherwise (as MLflow does)."""
    if artifact_file.endswith(".json"):
        text = json.dumps(dictionary, indent=2, ensure_ascii=False) + "\n"
    else:
        from gx import yamlio

        text = yamlio.dump(dictionary)
    _live().log_artifact_bytes(artifact_file, text.encode("utf-8"))


def log_figure(figure: Any, artifact_file: str, **savefig_kwargs: Any) -> None:
    """Save a matplotlib figure (its format from the file suffix) as an artifact."""
    import io

    buf = io.BytesIO()
    fmt = Path(artifact_file).suffix.lstrip(".") or "png"
    figure.savefig(buf, format=fmt, **savefig_kwargs)
    _live().log_artifact_bytes(artifact_file, buf.getvalue())


# -- process exit ---------------------------------------------------------------------------
def _end_all(status: str, error: str | None = None) -> None:
    while _stack:
        _end(_stack[-1], status, error)


def _install_exit_hooks() -> None:
    if _hooks_installed[0]:
        return
    _hooks_installed[0] = True
    atexit.register(lambda: _end_all(FINISHED))
    previous_hook = sys.excepthook

    def excepthook(exc_type: Any, exc: Any, tb: Any) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            _end_all(KILLED, "KeyboardInterrupt")
        else:
            _end_all(FAILED, _error_text(exc_type, exc, tb))
        previous_hook(exc_type, exc, tb)

    sys.excepthook = excepthook
    _install_sigterm_handler()


def _install_sigterm_handler() -> None:
    import signal

    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def on_term(signum: int, frame: Any) -> None:
        _end_all(KILLED, "SIGTERM")
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_term)
