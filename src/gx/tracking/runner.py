"""``gx run``: run a script or command as one recorded run, streaming its output unchanged."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from gx.datafiles import read_structured
from gx.errors import BadFile, BadValue, GxError
from gx.paths import find_repo
from gx.records import FAILED, FINISHED, KILLED
from gx.tracking import journal
from gx.tracking.capture import start_packages_thread
from gx.tracking.inputs import file_inputs
from gx.tracking.live import (
    ENV_EXPERIMENT,
    ENV_RUN_DIR,
    ENV_RUN_ID,
    ENV_RUN_NAME,
    LiveRun,
    new_run,
    record_source,
)
from gx.tracking.redact import (
    MASK,
    is_secret_name,
    redact_command,
    scrub_bytes,
    secret_values_from_env,
)
from gx.tracking.replay import read_entries
from gx.values import check_key, metric_value, numeric_or_none, param_value

#: How much of each output stream a run keeps (the end of it).
TAIL_BYTES = 32 * 1024


def params_from_file(path: str) -> dict[str, Any]:
    """A params file's values, each checked as ``log_param`` would; a bad one names the file."""
    params = {}
    for key, value in read_structured(path, "params").items():
        try:
            params[check_key("param", key)] = param_value(key, value)
        except GxError as exc:
            raise BadFile(f"params file {path!r}: {exc}") from None
    return params


def metrics_from_file(path: str) -> tuple[dict[str, float], list[str]]:
    """Values of a metrics file that are metrics (a valid name, a number); the others are returned
    separately as messages, so the run is recorded with the good ones and the user told about the rest."""
    numbers, skipped = {}, []
    for key, value in read_structured(path, "metrics").items():
        number = value if type(value) is int else numeric_or_none(value)
        if number is None:
            skipped.append(f"metric {key!r} in {path} is not a number")
            continue
        try:
            numbers[check_key("metric", key)] = float(metric_value(key, number))
        except GxError as exc:  # a name with control characters, an integer too large for a float
            skipped.append(f"{path}: {exc}")
    return numbers, skipped


class _Tail:
    """Copy a child's stream to ours as it arrives and keep the last TAIL_BYTES of it."""

    def __init__(self, source: BinaryIO, sink: BinaryIO) -> None:
        self.data = bytearray()
        self.thread = threading.Thread(target=self._pump, args=(source, sink), daemon=True)
        self.thread.start()

    def _pump(self, source: BinaryIO, sink: BinaryIO) -> None:
        fd = source.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            try:
                sink.write(chunk)
                sink.flush()
            except (OSError, ValueError):
                pass
            self.data += chunk
            if len(self.data) > 2 * TAIL_BYTES:
                del self.data[:-TAIL_BYTES]

    def result(self) -> bytes:
        self.thread.join()
        return bytes(self.data[-TAIL_BYTES:])


def _child_in_terminal_foreground(pid: int) -> bool:
    """Did the terminal's Ctrl-C already reach the child (same foreground process group)?"""
    try:
        return os.getpgid(pid) == os.tcgetpgrp(sys.stdin.fileno())
    except (OSError, AttributeError, ValueError):
        return False


def resolve_command(argv: Sequence[str]) -> list[str]:
    """``train.py args`` runs with this Python; anything else runs as a command."""
    if not argv:
        raise BadValue("nothing to run: give a script (gx run train.py) or a command (gx run -- make train)")
    first = argv[0]
    if first.endswith(".py"):
        if not Path(first).is_file():
            raise BadFile(f"script {first!r} not found")
        return [sys.executable, *argv]
    if shutil.which(first) is None and not Path(first).is_file():
        raise BadFile(f"command {first!r} not found on PATH")
    return list(argv)


def run(argv: Sequence[str], experiment: str, name: str | None = None, params: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None, params_files: Sequence[str] = (),
        metrics_files: Sequence[str] = (), inputs: Sequence[str] = ()) -> tuple[int, LiveRun]:
    """Run ``argv`` as one recorded run; returns (exit code, the run). Validates before writing;
    ``inputs`` (paths or globs) are hashed before the command starts: the data as the run found it."""
    command = resolve_command(argv)
    input_files = file_inputs(inputs) if inputs else []
    all_params: dict[str, Any] = {}
    for path in params_files:
        all_params.update(params_from_file(path))
    all_params.update(params or {})
    safe_command, secrets = redact_command(command)
    secrets |= secret_values_from_env()
    for key, value in list(all_params.items()):
        if is_secret_name(key):
            secrets.add(str(value))
            all_params[key] = MASK
    live, meta = new_run(experiment, name, safe_command, params=all_params, tags=tags, capture_source=False)
    live.background.append(start_packages_thread(live.run_dir))
    for run_input in input_files:
        live.log_input(run_input)
    env = dict(os.environ)
    env.update({
        ENV_RUN_ID: live.run_id,
        ENV_RUN_DIR: str(live.run_dir),
        ENV_EXPERIMENT: experiment,  # params are in the run's meta.json: the environment is too small
        ENV_RUN_NAME: name or "",
        "PYTHONUNBUFFERED": "1",
    })
    interrupted: list[int] = []
    started: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, frame: Any) -> None:
        interrupted.append(signum)
        if started and (signum != signal.SIGINT or not _child_in_terminal_foreground(started[0].pid)):
            with contextlib.suppress(ProcessLookupError):
                started[0].send_signal(signum)

    # Handlers go in before the child starts: a caught signal is reset to its default in the child at
    # exec, while an ignored one stays ignored (``nohup``, a shell's ``&``): the script must still
    # stop on Ctrl-C whatever gx inherited.
    handled = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {s: signal.signal(s, forward) for s in handled}
    try:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started.append(proc)
        if interrupted:  # a signal came while the child was starting
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(interrupted[0])
        out = _Tail(proc.stdout, sys.stdout.buffer)  # type: ignore[arg-type]
        err = _Tail(proc.stderr, sys.stderr.buffer)  # type: ignore[arg-type]
        # git work (loading dulwich, snapshotting a dirty tree) overlaps the child's start-up
        record_source(live.paths or find_repo(), live.run_dir, meta)
        _load_recording()  # and so does loading the recording's code: after the command, the commit only
        while True:
            try:
                returncode = proc.wait()
                break
            except KeyboardInterrupt:  # pragma: no cover - the handler above normally absorbs it
                continue
        stdout_tail, stderr_tail = out.result(), err.result()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    _save_output(live, scrub_bytes(stdout_tail, secrets), scrub_bytes(stderr_tail, secrets))
    logged, _ = read_entries(live.run_dir)  # the child's journal; recording reports what is wrong in it
    last_logged: dict[str, tuple[int, float]] = {}
    for entry in logged:
        if entry[0] == "m" and entry[3] >= last_logged.get(entry[1], (-1, 0.0))[0]:
            last_logged[entry[1]] = (entry[3], entry[2])
    for path in metrics_files:
        try:
            values, skipped = metrics_from_file(path)
        except BadFile as exc:
            print(f"gx: {exc}; its metrics are not recorded", file=sys.stderr)
            continue
        for problem in skipped:
            print(f"gx: {problem}; skipped", file=sys.stderr)
        for key, value in values.items():
            step, last = last_logged.get(key, (-1, None))
            if last != value:  # the script may also have logged it: do not record it twice
                try:
                    live.log_metric(key, value, step=step + 1)
                except GxError as exc:  # e.g. past the run's key limit: the others are still recorded
                    print(f"gx: {path}: {exc}; skipped", file=sys.stderr)
    status = _status(returncode, interrupted, logged)
    meta["exit_code"] = returncode if returncode >= 0 else None
    meta["signal"] = signal.Signals(-returncode).name if returncode < 0 else None
    if interrupted and meta["signal"] is None:
        meta["signal"] = signal.Signals(interrupted[0]).name
    with contextlib.suppress(OSError):  # the run is recorded from the meta in memory; this is for a crash
        journal.write_json_atomic(live.run_dir / journal.META_FILE, meta)
    problem = live.finish(status, report=False)
    live.status = status
    exit_code = returncode if returncode >= 0 else 128 - returncode
    if interrupted and exit_code == 0:
        exit_code = 128 + interrupted[0]
    if problem:
        raise RunNotRecorded(problem, exit_code or 1)
    return exit_code, live


class RunNotRecorded(GxError):
    """The command ran but its run could not be recorded; exits with the child's status, or 1."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _load_recording() -> None:
    """Import what recording the run needs (the run's encoding, PyYAML, the store's writer) while the
    command runs; a failure here is the recording's to report, after the command."""
    with contextlib.suppress(Exception):
        import gx.store.write  # noqa: F401
        import gx.tracking.finalize  # noqa: F401


def _save_output(live: LiveRun, stdout: bytes, stderr: bytes) -> None:
    """Stage the output tails beside the journal (written back first if it was removed)."""
    live.writer.ensure_present()
    try:
        (live.run_dir / journal.OUTPUT).mkdir(exist_ok=True)
        (live.run_dir / journal.OUTPUT / "stdout.txt").write_bytes(stdout)
        (live.run_dir / journal.OUTPUT / "stderr.txt").write_bytes(stderr)
    except OSError as exc:
        journal.say(f"the output of run {live.run_id[:8]} cannot be saved ({journal.describe(exc)}); "
                    "the run goes on without its stdout.txt and stderr.txt")


def _status(returncode: int, interrupted: list[int], logged: list[tuple[Any, ...]]) -> str:
    if interrupted or returncode < 0:
        return KILLED
    if returncode != 0:
        return FAILED
    ended = [e for e in logged if e[0] == "e"]
    return ended[-1][1] if ended else FINISHED
