"""MLflow's fluent API over a live run: calls buffer in memory; git is touched once, at the end.

Under ``gx run`` the child process attaches to the run the parent owns (``GX_RUN_*`` variables)
and only appends to the journal: no dulwich, no pandas on that path.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gx.errors import BadName, GxError
from gx.paths import find_repo
from gx.records import FAILED, FINISHED, KILLED, PARENT_TAG
from gx.store.refs import DEFAULT_EXPERIMENT, validate_experiment
from gx.tracking.capture import start_packages_thread
from gx.tracking.entities import Experiment, Run, RunData
from gx.tracking.live import (  # noqa: F401 - ENV_* are part of this module's interface
    ENV_EXPERIMENT,
    ENV_RUN_DIR,
    ENV_RUN_ID,
    ENV_RUN_NAME,
    LiveRun,
    attached_params,
    attached_run,
    new_run,
)
from gx.tracking.names import generate_run_name
from gx.tracking.session import experiment_name_for, local_experiment, remember_run
from gx.values import flatten, tag_value

_stack: list[LiveRun] = []
_experiment: list[str | None] = [None]
_hooks_installed = [False]


def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Runs started after this go to the experiment (validated now, created on its first run)."""
    if experiment_name is None and experiment_id is not None:
        experiment_name = local_experiment(str(experiment_id))
        if experiment_name is None:
            raise BadName(f"no experiment with id {experiment_id!r} here; pass experiment_name= to create one")
    _experiment[0] = validate_experiment(experiment_name)
    return Experiment(_experiment[0])


def _current_experiment(explicit: str | None) -> str:
    """The first name given (an empty one is refused, never taken as 'not given'), else the default."""
    name = next((n for n in (explicit, _experiment[0], os.environ.get(ENV_EXPERIMENT)) if n is not None), None)
    if name == "" and explicit is None:
        raise BadName(f"{ENV_EXPERIMENT} is set but empty: unset it, or set it to an experiment name")
    return validate_experiment(name if name is not None else _config_experiment() or DEFAULT_EXPERIMENT)


def _config_experiment() -> str | None:
    """The ``experiment:`` key of the tracked ``gx.yaml`` at the repository root, if any."""
    try:
        paths = find_repo()
    except GxError:
        return None
    config_file = paths.worktree / "gx.yaml" if paths.worktree is not None else None
    if config_file is None or not config_file.is_file():
        return None  # the common case: no YAML parser to load
    from gx import limits, yamlio

    try:  # bounded: a FIFO or a YAML bomb in a teammate's gx.yaml must not hang training
        config = yamlio.load(limits.read_regular_file(config_file, limits.MAX_DOCUMENT_BYTES, "gx.yaml"))
    except (GxError, ValueError, yamlio.YAMLError):
        return None
    name = config.get("experiment") if isinstance(config, dict) else None
    return name if isinstance(name, str) else None


def _attached_run() -> LiveRun | None:
    """Attach to the run ``gx run`` owns, once per process."""
    run_id = os.environ.get(ENV_RUN_ID)
    if not run_id or any(r.run_id == run_id for r in _stack):
        return None
    return attached_run()


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
        exp = _current_experiment(experiment if experiment is not None else experiment_name_for(experiment_id))
        if nested and _stack:
            tags[PARENT_TAG] = _stack[-1].run_id
        live, _ = new_run(exp, run_name or generate_run_name(), [sys.executable, *sys.argv], tags=tags)
        live.background.append(start_packages_thread(live.run_dir))
    _stack.append(live)
    remember_run(live.run_id)
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

    from gx.tracking.redact import scrub_text, secret_values_from_env

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
    return attached_params()


def log_artifact(local_path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Log a file; a symbolic link is stored as a link, and refused if it leads out of the repository."""
    from gx.tracking.artifacts import log_file

    log_file(_live(), local_path, artifact_path)


def log_artifacts(local_dir: str | os.PathLike[str], artifact_path: str | None = None) -> None:
    """Log every file below a directory; links leading out of the repository are skipped with a warning."""
    from gx.tracking.artifacts import log_dir

    log_dir(_live(), local_dir, artifact_path)


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
