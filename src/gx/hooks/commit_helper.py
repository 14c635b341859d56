"""gx's pre-commit helper: a forked copy of the pre-commit hook's process that loads what recording
needs while the check runs, stays when the check passes, and records the commit when the post-commit
shim wakes it (the meeting place and its files: ``gx.hooks.handoff``).

It leaves git's session (its standard streams on /dev/null, none of git's pipes held), and leaves
altogether when git is gone (the commit was aborted: an empty message, a failing commit-msg hook),
when its folder was retired by a later process, or after ``limits.HOOK_HELPER_MAX_WAIT`` seconds.
It never sends a signal to any process.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from gx import limits
from gx.hooks import GIT_PID_VARIABLE
from gx.hooks.handoff import (
    ERR_FILE,
    LOCK_FILE,
    WAKE_FILE,
    WAKE_WORD,
    alive,
    claim,
    git_pid,
    handoff_dir,
    inode,
    process_started,
    publish,
    retire,
    sweep,
)
from gx.paths import RepoPaths

_POLL_S = 0.25  # how often a waiting helper looks whether git is still there
_MAX_MESSAGE = 64 * 1024


class Helper:
    """The parent's side of a forked helper: ``keep`` it once the check passed, else ``dismiss`` it."""

    def __init__(self, go: int) -> None:
        self._go = go

    def keep(self) -> None:
        self._send(b"1")

    def dismiss(self) -> None:
        self._send(b"")

    def _send(self, word: bytes) -> None:
        if self._go < 0:
            return
        try:
            if word:
                os.write(self._go, word)
        finally:
            os.close(self._go)
            self._go = -1


def start_helper(paths: RepoPaths, warm: Callable[[], None], record: Callable[[], list[str]]) -> Helper | None:
    """At the start of a pre-commit hook: fork the helper, which loads what recording needs while the
    check runs, stays if the caller ``keep``s it (the check passed) and records the commit when the
    post-commit shim wakes it. None when there is no git pid from gx's shim or the folder, FIFO or
    fork cannot be had: post-commit then does it all."""
    pid = git_pid()
    if pid is None or not hasattr(os, "fork") or not hasattr(os, "mkfifo"):
        return None
    started = process_started(pid)
    folder = handoff_dir(paths, pid)
    made, fds = False, []
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        sweep(folder.parent)
        retire(folder)  # a folder of an earlier git process with the same pid
        folder.mkdir()
        made = True
        os.mkfifo(folder / WAKE_FILE, 0o600)
        fds.append(os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600))
        fcntl.flock(fds[0], fcntl.LOCK_EX | fcntl.LOCK_NB)
        fds.append(os.open(folder / WAKE_FILE, os.O_RDWR | os.O_NONBLOCK))
        fds.extend(os.pipe())  # the parent's word: b"1" keeps the helper, end of file dismisses it
        identity = os.stat(folder).st_ino
        sys.stdout.flush()
        sys.stderr.flush()
        child = os.fork()
    except OSError:
        for fd in fds:
            os.close(fd)
        if made:
            shutil.rmtree(folder, ignore_errors=True)
        return None
    lock, wake, go_read, go_write = fds
    if child:
        for fd in (lock, wake, go_read):
            os.close(fd)  # the helper holds the lock now (the same open file)
        return Helper(go_write)
    status = 1
    try:
        os.close(go_write)
        _detach()
        with contextlib.suppress(Exception):  # recording imports what it needs anyway
            warm()
        kept = os.read(go_read, 1) == b"1"  # returns when the parent answers or exits
        os.close(go_read)
        if kept:
            _serve(folder, identity, wake, pid, started, record)
        elif inode(folder) == identity:
            retire(folder)
        status = 0
    finally:
        os._exit(status)


def _detach() -> None:
    """Leave git's session and let go of every descriptor inherited across exec (git's pipes): a
    caller reading git's output to its end must not wait for the helper."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 256))
    for fd in fds:
        try:  # Python opens its own descriptors close-on-exec: the others came from outside
            if fd > 2 and not fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC:
                os.close(fd)
        except OSError:
            pass


def _serve(folder: Path, identity: int, wake: int, pid: int, started: bytes | None,
           record: Callable[[], list[str]]) -> None:
    """Wait for the post-commit shim's word while git runs, then record the commit once, if no
    post-commit hook taking over claimed it first."""
    deadline = time.monotonic() + limits.HOOK_HELPER_MAX_WAIT
    message = b""
    while b"\n" not in message:
        if time.monotonic() > deadline or not alive(pid, started) or inode(folder) != identity:
            if inode(folder) == identity:
                retire(folder)
            return
        ready, _, _ = select.select([wake], [], [], _POLL_S)
        if ready:
            try:
                message += os.read(wake, 4096)
            except BlockingIOError:
                continue
            if len(message) > _MAX_MESSAGE:
                return
    word, _, index = message.split(b"\n", 1)[0].partition(b" ")
    if word != WAKE_WORD or inode(folder) != identity or not claim(folder):
        return
    os.environ.pop(GIT_PID_VARIABLE, None)  # this process is the helper: nothing to hand off to
    if index:  # the post-commit hook's GIT_INDEX_FILE: the helper works as that hook would
        os.environ["GIT_INDEX_FILE"] = os.fsdecode(index)
    else:
        os.environ.pop("GIT_INDEX_FILE", None)
    publish(folder, captured(folder, record))


def captured(folder: Path, record: Callable[[], list[str]]) -> bytes:
    """The hook's lines after whatever recording wrote to stderr (warnings, git's messages), as the
    post-commit hook would have shown them."""
    err = os.open(folder / ERR_FILE, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(err, 2)
    try:
        lines = record()
    finally:
        sys.stderr.flush()
    os.lseek(err, 0, os.SEEK_SET)
    shown = b""
    while chunk := os.read(err, 65536):
        shown += chunk
    return shown + "".join(f"{line}\n" for line in lines).encode("utf-8", "replace")
