"""The ``git`` binary's transport, when it is on PATH: ``ls-remote``, ``fetch-pack`` and ``push`` driven
with explicit refs, their progress passed on and their failures turned into one line.

git's own pack negotiation and pack generation (delta reuse, C speed) are 10-20 times faster than
dulwich's pure-Python ones. What gx promises stays in gx: fetched objects land in a quarantine and
are checked there (``incoming_git.py``), pushes are never forced (git refuses a non-fast-forward
itself, and receive-pack compares every ref's old value under its lock). ``GX_GIT_BINARY=0`` keeps
the pure-dulwich transport, which passes the same tests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Callable

from gx.errors import RemoteError

Progress = Callable[[str], None]

#: What git unsets before running a command in another repository (environment.c local_repo_env).
LOCAL_REPO_ENV = ("GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
                  "GIT_OBJECT_DIRECTORY", "GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE",
                  "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS", "GIT_REPLACE_REF_BASE", "GIT_PREFIX",
                  "GIT_SHALLOW_FILE", "GIT_COMMON_DIR", "GIT_QUARANTINE_PATH")
#: Transfers shorter than this show no progress at all.
PROGRESS_DELAY = 1.0
_ERROR_LINE = re.compile(r"^(?:remote: )?(?:fatal|error): ")


def git_binary() -> str | None:
    """The ``git`` to drive, or None: not on PATH, or ``GX_GIT_BINARY=0`` asks for dulwich's transport."""
    if os.environ.get("GX_GIT_BINARY", "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    return shutil.which("git")


def binary_for(git_dir: str | os.PathLike[str], url: str) -> str | None:
    """The git binary to move objects with over ``url``, or None for dulwich's transport: git is not
    on PATH or ``GX_GIT_BINARY=0``; http(s), whose credentials gx reads itself; or a shallow repository."""
    git = git_binary()
    if git is None or url.lower().startswith(("http://", "https://")) or _shallow(git_dir):
        return None
    return git


def _shallow(git_dir: str | os.PathLike[str]) -> bool:
    """Whether ``shallow`` names a commit (where dulwich reads it: the repository's own git dir)."""
    try:
        with open(os.path.join(git_dir, "shallow"), "rb") as fh:
            return any(line.strip() for line in fh)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # unreadable: dulwich's transport, which reports it


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the caller's repository variables (gx may run inside a git hook)."""
    env = {k: v for k, v in os.environ.items() if k not in LOCAL_REPO_ENV}
    env.update(extra)
    if not os.isatty(0):  # nobody to answer a password prompt
        env.setdefault("GIT_TERMINAL_PROMPT", "0")
    return env


class Delayed:
    """Progress passed on only once a transfer has gone on ``PROGRESS_DELAY``; until then the latest
    counters are held, and the last line of them shown first."""

    def __init__(self, write: Callable[[bytes], None] | None) -> None:
        self._write, self._start, self._held = write, time.monotonic(), b""

    def __call__(self, chunk: bytes) -> None:
        if self._write is None:
            return
        if time.monotonic() - self._start < PROGRESS_DELAY:
            self._held = self._held[-4096:] + chunk  # the latest counters, shown if it keeps going
            return
        if self._held:
            chunk, self._held = self._held[self._held.rfind(b"\n") + 1:] + chunk, b""
        self._write(chunk)


class Stderr:
    """git's stderr: kept (bounded) for error messages; progress passed on once a second has gone by."""

    def __init__(self, stream: IO[bytes], progress: Progress | None) -> None:
        self.text = bytearray()
        self._progress = Delayed(None if progress is None else lambda b: progress(b.decode("utf-8", "replace")))
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[bytes]) -> None:
        while True:
            chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)  # type: ignore[attr-defined]
            if not chunk:
                return
            if len(self.text) < 1 << 20:
                self.text += chunk
            self._progress(chunk)

    def join(self) -> str:
        self._thread.join()
        return self.text.decode("utf-8", "replace")


@dataclass
class Finished:
    """A git command's exit status, its stdout, and its stderr."""

    code: int
    out: str
    err: str

    def errors(self) -> str:
        """git's ``fatal:``/``error:`` lines (the remote's too), in one line."""
        found = [_ERROR_LINE.sub("", line).strip() for line in _lines(self.err) if _ERROR_LINE.match(line)]
        return _short("; ".join(dict.fromkeys(found)) or "; ".join(_lines(self.err)[-2:]) or f"git exited {self.code}")


def _lines(text: str) -> list[str]:
    """Whole lines, without progress counters (git rewrites those with ``\\r``)."""
    lines = (line.rsplit("\r", 1)[-1].strip() for line in text.split("\n"))
    return [line for line in lines if line]


def _short(text: str) -> str:
    return text if len(text) < 300 else text[:297] + "..."


class Running:
    """A git command under way (``start``): its stderr read as it runs, ``finish`` waits for the rest."""

    def __init__(self, proc: subprocess.Popen[bytes], progress: Progress | None) -> None:
        self.proc, self._err = proc, Stderr(proc.stderr, progress)  # type: ignore[arg-type]  # its only reader
        self.git = proc.args[0]  # type: ignore[index]

    def finish(self) -> Finished:
        out = self.proc.stdout.read()  # type: ignore[union-attr]
        self.proc.stdout.close()  # type: ignore[union-attr]
        return Finished(self.proc.wait(), out.decode("utf-8", "replace"), self._err.join())


def start(git: str, args: list[str], env: dict[str, str], progress: Progress | None = None,
          stdin: bytes | None = None) -> Running:
    """Start git, its progress on ``progress`` (after PROGRESS_DELAY), without a terminal prompt."""
    proc = subprocess.Popen([git, *args], stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    running = Running(proc, progress)
    if stdin is not None:
        threading.Thread(target=_feed, args=(proc.stdin, stdin), daemon=True).start()
    return running


def run(git: str, args: list[str], env: dict[str, str], progress: Progress | None = None,
        stdin: bytes | None = None) -> Finished:
    """``start`` git and wait for it."""
    return start(git, args, env, progress, stdin).finish()


def spawn(git: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start git with pipes on all three streams, for a caller that talks to it as it runs."""
    return subprocess.Popen([git, *args], bufsize=0, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)


def _feed(pipe: IO[bytes], data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except OSError:  # git exited early: its status says why
        pass


def unreachable(label: str, url: str, done: Finished) -> RemoteError:
    """The one line for a transport failure, naming the remote as dulwich's transport does."""
    where = label if label == url else f"{label} ({url})"
    return RemoteError(f"cannot reach remote {where}: {done.errors()}")


def ls_remote(git: str, url: str, patterns: Iterable[str], env: dict[str, str], label: str) -> dict[bytes, bytes]:
    """``{ref: object id}`` the remote advertises under ``patterns`` (peeled ``^{}`` entries left out)."""
    done = run(git, ["ls-remote", url, *patterns], env)
    if done.code:
        raise unreachable(label, url, done)
    refs = {}
    for line in done.out.splitlines():
        sha, _, ref = line.partition("\t")
        if len(sha) == 40 and ref and not ref.endswith("^{}"):
            refs[ref.encode()] = sha.encode()
    return refs


#: What the fetch into a quarantine must not do: check objects itself (gx checks each experiment on
#: its own, ``incoming.py``), unpack small packs into loose objects, run hooks.
FETCH_CONFIG = ("fetch.fsckObjects=false", "transfer.fsckObjects=false", "fetch.unpackLimit=1",
                "transfer.unpackLimit=1", f"core.hooksPath={os.devnull}")


def fetch_pack(git: str, git_dir: str, objects: str, alternate: str, url: str, refs: list[bytes], label: str,
               progress: Progress | None) -> dict[bytes, bytes]:
    """``git fetch-pack`` of ``refs`` into ``git_dir`` (which has no refs of its own), the pack written
    to ``objects``; the repository's objects are an alternate (bases of the thin pack, and its refs
    the haves). Plumbing: no ref moves, and no connectivity walk (gx's checks follow every link).
    Returns ``{ref: id}`` as fetched."""
    args = [a for c in FETCH_CONFIG for a in ("-c", c)]
    args += ["fetch-pack", "--stdin", "--thin", "-k", url]
    env = clean_env(GIT_DIR=git_dir, GIT_OBJECT_DIRECTORY=objects, GIT_ALTERNATE_OBJECT_DIRECTORIES=alternate)
    done = run(git, args, env, progress, stdin=b"".join(ref + b"\n" for ref in refs))
    if done.code:
        raise unreachable(label, url, done)
    fetched = {}
    for line in done.out.splitlines():
        sha, _, ref = line.partition(" ")
        if len(sha) == 40 and ref.startswith("refs/"):
            fetched[ref.encode()] = sha.encode()
    return fetched


@dataclass
class Pushed:
    """Per ref: None when it moved (or already was there), else git's reason; the remote's own words;
    and, for each ref that moved or already was there, the remote's id before (None: a new ref)."""

    status: dict[bytes, str | None] = field(default_factory=dict)
    before: dict[bytes, bytes | None] = field(default_factory=dict)
    remote_said: str = ""
    unpack_failed: str = ""  # the remote refused the pack (its fsck, a full disk): nothing moved


_STATUS = re.compile(r"^([ +\-*=!])\t([^\t]*):([^\t]*)\t(.*)$")
_MOVED = re.compile(r"^([0-9a-f]{40})\.\.\.?[0-9a-f]{40}$")  # ``old..new`` with ``core.abbrev=40``


def start_push(git: str, git_dir: str, url: str, updates: dict[bytes, bytes], progress: Progress | None,
               leases: dict[bytes, bytes | None] | None = None) -> Running:
    """Start ``git push`` of ``sha:ref`` for each update, never forced: git refuses what is not a
    fast-forward of the remote's current tip, and receive-pack checks each old value under its lock.
    A ref in ``leases`` (tags: they move sideways) moves only from the value given (None: it must not
    exist), git's ``--force-with-lease``: a compare-and-swap, not a force."""
    refspecs = [f"{sha.decode()}:{ref.decode()}" for ref, sha in sorted(updates.items())]
    cas = [f"--force-with-lease={ref.decode()}:{(old or b'').decode()}" for ref, old in sorted((leases or {}).items())]
    args = ["-c", "core.abbrev=40", "push", "--porcelain", "--no-verify", "--no-follow-tags", "--recurse-submodules=no",
            "--progress", *cas, url, *refspecs]  # without --progress the remote goes quiet: no fsck or hook messages
    return start(git, args, clean_env(GIT_DIR=git_dir), progress)


def push(git: str, git_dir: str, url: str, updates: dict[bytes, bytes], label: str,
         progress: Progress | None, leases: dict[bytes, bytes | None] | None = None,
         running: Running | None = None) -> Pushed:
    """What the remote did with ``start_push``'s updates; ``running``: that push, started already."""
    done = (running or start_push(git, git_dir, url, updates, progress, leases)).finish()
    out = Pushed()
    for line in done.out.splitlines():
        match = _STATUS.match(line)
        if match is None:
            continue
        flag, src, ref, summary = match.groups()
        reason = summary[summary.find("(") + 1:summary.rfind(")")] if "(" in summary else summary
        out.status[ref.encode()] = (reason.strip() or summary) if flag == "!" else None
        moved = _MOVED.match(summary)
        if flag == "=":
            out.before[ref.encode()] = src.encode()  # up to date: the remote holds what was sent
        elif flag == "*":
            out.before[ref.encode()] = None
        elif moved is not None:
            out.before[ref.encode()] = moved.group(1).encode()
    said = [line[len("remote: "):].strip() for line in _lines(done.err) if line.startswith("remote: ")]
    out.remote_said = _short("; ".join(dict.fromkeys(s for s in said if s and not _is_counter(s))))
    if any(reason and "unpack" in reason for reason in out.status.values()) or "remote unpack failed" in done.err:
        out.unpack_failed = done.errors()
    elif done.code and not out.status:
        raise unreachable(label, url, done)
    return out


def _is_counter(line: str) -> bool:
    return bool(re.match(r"^(Counting|Compressing|Writing|Unpacking|Resolving|Receiving|Enumerating|Total) ", line))
