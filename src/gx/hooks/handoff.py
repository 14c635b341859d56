"""One Python per commit: the meeting place of gx's pre-commit helper and the post-commit hook.

When gx's pre-commit check passes, its process leaves a helper behind (``gx.hooks.commit_helper``)
that records the commit when the post-commit shim wakes it. They meet in ``<common git dir>/gx/
hook-handoff/<git pid>/`` (both shims know git's pid as ``$PPID``):

- ``wake``: a FIFO. The helper and the shim both open it read-write, so neither open ever waits for
  the other side, whether or not the helper is still there.
- ``lock``: held (flock) by the helper for its whole life; a post-commit hook that takes over waits
  on it, bounded.
- ``claim``: created exclusively by whichever process records the commit (the helper, or the
  post-commit hook taking over), so they never both record it.
- ``out``: what the recording printed and the hook's lines, renamed into place once the run is
  recorded; the shim prints it and removes the folder.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from pathlib import Path

from gx import limits
from gx.hooks import GIT_PID_VARIABLE
from gx.paths import RepoPaths

WAKE_WORD = b"post-commit"
WAKE_FILE, LOCK_FILE, _CLAIM, _OUT, ERR_FILE = "wake", "lock", "claim", "out", "stderr"


def git_pid() -> int | None:
    """git's pid as gx's shim passed it; None when the hook was not started by gx's shim."""
    raw = os.environ.get(GIT_PID_VARIABLE, "")
    return int(raw) if raw.isdigit() and 1 < int(raw) < 2**31 else None


def handoff_dir(paths: RepoPaths, pid: int) -> Path:
    """Where the helper of the ``git commit`` with this pid waits (the post-commit shim finds it too)."""
    return paths.gx_dir / "hook-handoff" / str(pid)


def process_started(pid: int) -> bytes | None:
    """The process's start time where /proc tells it (a recycled pid has another); else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def alive(pid: int, started: bytes | None) -> bool:
    """Whether the process that was ``pid`` when ``started`` was read still runs."""
    if started is not None:
        return process_started(pid) == started
    try:
        os.kill(pid, 0)  # signal 0 delivers nothing: it only asks whether the pid exists
    except ProcessLookupError:
        return False
    except OSError:
        pass
    return True


def inode(folder: Path) -> int | None:
    """The folder's identity: a folder retired and made again under the same name has another."""
    try:
        return os.stat(folder).st_ino
    except OSError:
        return None


def retire(folder: Path) -> None:
    """Take a folder out of the way (renamed first, so a helper still waiting in it stands down)."""
    aside = folder.with_name(f".retired-{folder.name}-{os.getpid()}-{time.monotonic_ns()}")
    try:
        os.rename(folder, aside)
    except OSError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def _lock_free(folder: Path) -> bool:
    """Whether no helper holds the folder's lock (it is gone, or never was)."""
    try:
        fd = os.open(folder / LOCK_FILE, os.O_RDWR)
    except OSError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def sweep(parent: Path) -> None:
    """Remove folders left by helpers that were killed and by shims that never came to read them."""
    try:
        names = os.listdir(parent)[:100]
    except OSError:
        return
    for name in names:
        folder = parent / name
        if name.isdigit() and alive(int(name), None):
            continue  # its git is still committing
        if _lock_free(folder):
            shutil.rmtree(folder, ignore_errors=True)


def claim(folder: Path) -> bool:
    """Whether this process is the one to record the commit (the first to create ``claim``)."""
    try:
        os.close(os.open(folder / _CLAIM, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return True
    except OSError:
        return False


def publish(folder: Path, text: bytes) -> None:
    """Put what to show in place whole: the shim prints ``out`` as soon as it exists."""
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
    if claim(folder):
        retire(folder)
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
    retire(folder)
    return shown
