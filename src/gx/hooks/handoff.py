"""One Python per commit: gx's pre-commit check, once it passes, stays behind to record the commit.

Starting Python twice per ``git commit`` (check, then record) costs more than the work itself. So when
the check passes, its process forks a helper that leaves git's session (its standard streams on
/dev/null, no pipe of git's held open), loads what recording needs while git writes the commit, and
waits for the post-commit shim's word. The meeting place is ``<common git dir>/gx/hook-handoff/<git
pid>/`` (both shims know git's pid as ``$PPID``):

- ``wake``: a FIFO. The helper and the shim both open it read-write, so neither open ever waits for
  the other side, whether or not the helper is still there.
- ``lock``: held (flock) by the helper for its whole life; a post-commit hook that takes over waits
  on it, bounded.
- ``claim``: created exclusively by whichever process records the commit (the helper, or the
  post-commit hook taking over), so they never both record it.
- ``out``: what the recording printed and the hook's lines, renamed into place once the run is
  recorded; the shim prints it and removes the folder.

The helper leaves when git is gone (the commit was aborted: an empty message, a failing commit-msg
hook), when its folder was retired by a later process, or after ``limits.HOOK_HELPER_MAX_WAIT``
seconds. It never sends a signal to any process.
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
from gx.paths import RepoPaths

GIT_PID_VARIABLE = "GX_GIT_PID"  # set by the shims to their $PPID: the git process running both hooks
WAKE_WORD = b"post-commit"
_WAKE, _LOCK, _CLAIM, _OUT, _ERR = "wake", "lock", "claim", "out", "stderr"
_POLL_S = 0.25  # how often a waiting helper looks whether git is still there
_MAX_MESSAGE = 64 * 1024


def git_pid() -> int | None:
    """git's pid as gx's shim passed it; None when the hook was not started by gx's shim."""
    raw = os.environ.get(GIT_PID_VARIABLE, "")
    return int(raw) if raw.isdigit() and 1 < int(raw) < 2**31 else None


def handoff_dir(paths: RepoPaths, pid: int) -> Path:
    return paths.gx_dir / "hook-handoff" / str(pid)


def _started(pid: int) -> bytes | None:
    """The process's start time where /proc tells it (a recycled pid has another); else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(pid: int, started: bytes | None) -> bool:
    """Whether the process that was ``pid`` when ``started`` was read still runs."""
    if started is not None:
        return _started(pid) == started
    try:
        os.kill(pid, 0)  # signal 0 delivers nothing: it only asks whether the pid exists
    except ProcessLookupError:
        return False
    except OSError:
        pass
    return True


def _inode(folder: Path) -> int | None:
    try:
        return os.stat(folder).st_ino
    except OSError:
        return None


def _retire(folder: Path) -> None:
    """Take a folder out of the way (renamed first, so a helper still waiting in it stands down)."""
    aside = folder.with_name(f".retired-{folder.name}-{os.getpid()}-{time.monotonic_ns()}")
    try:
        os.rename(folder, aside)
    except OSError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def _lock_free(folder: Path) -> bool:
    try:
        fd = os.open(folder / _LOCK, os.O_RDWR)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _sweep(parent: Path) -> None:
    """Remove folders left by helpers that were killed and by shims that never came to read them."""
    try:
        names = os.listdir(parent)[:100]
    except OSError:
        return
    for name in names:
        folder = parent / name
        if name.isdigit() and _alive(int(name), None):
            continue  # its git is still committing
        if _lock_free(folder):
            shutil.rmtree(folder, ignore_errors=True)


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
    started = _started(pid)
    folder = handoff_dir(paths, pid)
    made, fds = False, []
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        _sweep(folder.parent)
        _retire(folder)  # a folder of an earlier git process with the same pid
        folder.mkdir()
        made = True
        os.mkfifo(folder / _WAKE, 0o600)
        fds.append(os.open(folder / _LOCK, os.O_RDWR | os.O_CREAT, 0o600))
        fcntl.flock(fds[0], fcntl.LOCK_EX | fcntl.LOCK_NB)
        fds.append(os.open(folder / _WAKE, os.O_RDWR | os.O_NONBLOCK))
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
        elif _inode(folder) == identity:
            _retire(folder)
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
    deadline = time.monotonic() + limits.HOOK_HELPER_MAX_WAIT
    message = b""
    while b"\n" not in message:
        if time.monotonic() > deadline or not _alive(pid, started) or _inode(folder) != identity:
            if _inode(folder) == identity:
                _retire(folder)
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
    if word != WAKE_WORD or _inode(folder) != identity or not _claim(folder):
        return
    os.environ.pop(GIT_PID_VARIABLE, None)  # this process is the helper: nothing to hand off to
    if index:  # the post-commit hook's GIT_INDEX_FILE: the helper works as that hook would
        os.environ["GIT_INDEX_FILE"] = os.fsdecode(index)
    else:
        os.environ.pop("GIT_INDEX_FILE", None)
    _publish(folder, _captured(folder, record))


def _captured(folder: Path, record: Callable[[], list[str]]) -> bytes:
    """The hook's lines after whatever recording wrote to stderr (warnings, git's messages), as the
    post-commit hook would have shown them."""
    err = os.open(folder / _ERR, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
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


def _claim(folder: Path) -> bool:
    try:
        os.close(os.open(folder / _CLAIM, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return True
    except OSError:
        return False


def _publish(folder: Path, text: bytes) -> None:
    tmp = folder / f".{_OUT}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(text)
    os.replace(tmp, folder / _OUT)


def take_over(paths: RepoPaths) -> bytes | None:
    """In the post-commit hook, when the shim's wait ended without the helper's answer: what the
    helper printed, once it is done (waiting at most ``limits.HOOK_HANDOFF_WAIT`` seconds); None when
    this hook must record the commit itself (it has claimed it: a helper woken late stands down)."""
    pid = git_pid()
    folder = handoff_dir(paths, pid) if pid is not None else None
    if folder is None or not folder.is_dir():
        return None
    if _claim(folder):
        _retire(folder)
        return None
    deadline = time.monotonic() + limits.HOOK_HANDOFF_WAIT
    while not _lock_free(folder):
        if time.monotonic() > deadline:
            return (b"gx: warning: gx's pre-commit process is still recording this commit in the background; "
                    b"'gx ls' shows the run once it is done\n")
        time.sleep(0.02)
    try:
        shown = (folder / _OUT).read_bytes()
    except OSError:
        shown = None  # the helper died while recording: this hook records (the key finds its run if it got that far)
    _retire(folder)
    return shown
