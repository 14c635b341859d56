"""Helpers for the tests/test_untrusted_write_*.py files (issue 8: the write boundary, fsck, hangs, memory).

Only public interfaces: the real ``git`` binary, ``python -m gx`` and files on disk.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from conftest import gx_subprocess, run_git

#: Every bounded child gets at most this much address space and may write files at most this big,
#: so a YAML bomb or an endless read fails (or is killed) instead of eating the machine.
CHILD_MAX_AS = 2 * 1024**3
CHILD_MAX_FSIZE = 256 * 1024**2
#: Only the start of a child's output is kept: a bomb's error message can be gigabytes long.
KEEP_OUTPUT = 4000


@dataclass
class Bounded:
    returncode: int | None  # None: killed at the timeout
    seconds: float
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    def describe(self) -> str:
        status = "killed after the timeout (a hang)" if self.timed_out else f"exit {self.returncode}"
        return f"{status} in {self.seconds:.1f}s; stderr starts: {self.stderr[:600]!r}"


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MAX_AS, CHILD_MAX_AS))
    resource.setrlimit(resource.RLIMIT_FSIZE, (CHILD_MAX_FSIZE, CHILD_MAX_FSIZE))


def bounded(args: list[str], cwd: Path | str, timeout: float = 20, env: dict | None = None) -> Bounded:
    """Run ``args`` in its own process group with memory and output limits; at ``timeout`` the whole
    group (git and its hooks) is killed, so a hang becomes a failed assertion, not a stuck suite."""
    full_env = dict(os.environ, **(env or {}))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        proc = subprocess.Popen(args, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                start_new_session=True, preexec_fn=_limits)
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group we started: git, its hook, gx
            proc.wait()
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        return Bounded(code, seconds, out.read(KEEP_OUTPUT).decode("utf-8", "replace"),
                       err.read(KEEP_OUTPUT).decode("utf-8", "replace"))


def bounded_gx(*args: str, cwd: Path | str, timeout: float = 20) -> Bounded:
    return bounded([sys.executable, "-m", "gx", *args], cwd=cwd, timeout=timeout)


def assert_one_clear_error(result: Bounded, *words: str) -> None:
    """The convention for a refused user input: exit 1, one ``gx: error:`` line naming the culprit."""
    assert not result.timed_out, result.describe()
    assert result.returncode == 1, result.describe()
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("gx: error: ")]
    assert len(errors) == 1, result.describe()
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.describe()
    assert len(errors[0]) < 1000, f"the error line is {len(errors[0])}+ characters: {errors[0][:300]!r}"
    for word in words:
        assert word in errors[0], result.describe()


def billion_laughs(levels: int = 10, anchor_prefix: str = "l") -> str:
    """YAML anchors, each a list of 9 aliases of the previous one: 9**levels strings once expanded."""
    lines = [f'{anchor_prefix}0: &{anchor_prefix}0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*{anchor_prefix}{i - 1}"] * 9)
        lines.append(f"{anchor_prefix}{i}: &{anchor_prefix}{i} [{refs}]")
    return "\n".join(lines) + "\n"


def install_hooks(repo) -> None:
    """``gx hooks install`` through the CLI, as a user would."""
    proc = gx_subprocess("hooks", "install", cwd=repo.path, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()


def experiment_refs(repo) -> list[str]:
    return repo.git("for-each-ref", "--format=%(refname)", "refs/experiments/").split()


def run_commits(repo, ref: str) -> list[str]:
    """Ids of the run commits on an experiment ref, read from git itself (``Gx-Run`` trailers)."""
    out = repo.git("log", "--format=%(trailers:key=Gx-Run,valueonly)%x00", ref)
    return [chunk.strip() for chunk in out.split("\0") if chunk.strip()]


def strict_bare_remote(tmp_path: Path, name: str = "strict.git") -> Path:
    """A bare repository that refuses objects failing fsck, as GitHub does (receive.fsckObjects)."""
    bare = tmp_path / name
    run_git("init", "-q", "--bare", str(bare))
    run_git("-C", str(bare), "config", "receive.fsckObjects", "true")
    return bare


def assert_pushes_to_strict_remote(repo, tmp_path: Path) -> None:
    """``gx push`` to a remote with receive.fsckObjects succeeds and leaves it fsck-clean; a plain
    ``git push`` of the experiments (which goes through receive-pack and its checks) succeeds too."""
    bare = strict_bare_remote(tmp_path, "strict-gx.git")
    proc = gx_subprocess("push", str(bare), cwd=repo.path, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()[:2000]
    fsck = subprocess.run(["git", "-C", str(bare), "fsck", "--strict", "--no-dangling"], capture_output=True,
                          timeout=60)
    assert fsck.returncode == 0 and b"error" not in fsck.stderr, fsck.stderr.decode()[:2000]
    if not experiment_refs(repo):
        return  # every bad value was refused before anything was written: git has nothing to push
    other = strict_bare_remote(tmp_path, "strict-git.git")
    push = subprocess.run(["git", "push", "-q", str(other), "refs/experiments/*:refs/experiments/*"],
                          cwd=repo.path, capture_output=True, timeout=60)
    assert push.returncode == 0, push.stderr.decode()[:2000]
