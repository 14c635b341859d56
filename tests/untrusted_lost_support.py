"""Helpers for the 'nothing lost' and secrets tests of issue 8: real full and read-only
filesystems, dead runs left by a killed process, and counting runs from the refs themselves.

Only public interfaces: child processes that ``import gx``, the ``git`` binary and files on disk.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Python source a child can exec to fill the filesystem holding ``target`` (a file path) until
#: ENOSPC, down to the last byte; the file stays until the child or the test removes it.
FILL_SOURCE = """
def fill(target):
    f = open(target, "wb", buffering=0)
    for size in (1 << 16, 4096, 512, 1):
        while True:
            try:
                if f.write(b"\\0" * size) != size:
                    break
            except OSError:
                break
    try:
        f.close()
    except OSError:
        pass
"""


def fill(target: Path) -> None:
    """Fill the filesystem that holds ``target`` (a new file) until it is full."""
    namespace: dict = {}
    exec(FILL_SOURCE, namespace)  # noqa: S102 - our own constant
    namespace["fill"](str(target))


@contextlib.contextmanager
def tmpfs(mountpoint: Path, size: str) -> Iterator[Path]:
    """Mount a small tmpfs at ``mountpoint`` (kept contents are copied in first); skip if mount is
    not allowed here. Unmounted (lazily) on exit."""
    saved = None
    if mountpoint.exists() and any(mountpoint.iterdir()):
        saved = mountpoint.with_name(mountpoint.name + ".saved")
        mountpoint.rename(saved)
    mountpoint.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mountpoint)],
                          capture_output=True, timeout=20)
    if proc.returncode != 0:
        if saved is not None:
            mountpoint.rmdir()
            saved.rename(mountpoint)
        pytest.skip(f"cannot mount a tmpfs here to simulate a full disk: {proc.stderr.decode().strip()}")
    try:
        if saved is not None:
            subprocess.run(["cp", "-a", f"{saved}/.", str(mountpoint)], check=True, timeout=20)
            shutil.rmtree(saved)
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], capture_output=True, timeout=20)


@contextlib.contextmanager
def read_only_view(source: Path, view: Path) -> Iterator[Path]:
    """A read-only bind mount of ``source`` at ``view`` (root cannot write through it: EROFS)."""
    view.mkdir(parents=True, exist_ok=True)
    bind = subprocess.run(["mount", "--bind", str(source), str(view)], capture_output=True, timeout=20)
    if bind.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {bind.stderr.decode().strip()}")
    try:
        ro = subprocess.run(["mount", "-o", "remount,ro,bind", str(view)], capture_output=True, timeout=20)
        if ro.returncode != 0:
            pytest.skip(f"cannot make a read-only bind mount here: {ro.stderr.decode().strip()}")
        probe = view / ".gx-probe"
        try:
            probe.write_text("x")
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip("the read-only bind mount is writable here")
        yield view
    finally:
        subprocess.run(["umount", "-l", str(view)], capture_output=True, timeout=20)


def child(code: str, cwd: Path, env: dict | None = None, timeout: float = 20, **kw) -> subprocess.CompletedProcess:
    """Run ``python -c code`` (dedented) in ``cwd``; a hang becomes a TimeoutExpired failure."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True,
                          env=dict(os.environ, **(env or {})), timeout=timeout, **kw)


def dead_run(path: Path, experiment: str = "dead", name: str = "victim", steps: int = 5) -> tuple[str, Path]:
    """A run whose process logged ``steps`` values of ``loss``, flushed, and died without ending it
    (``os._exit``: no atexit, as after SIGKILL). Returns its id and journal directory."""
    proc = child(f"""
        import os, time, gx
        gx.set_experiment({experiment!r})
        run = gx.start_run(run_name={name!r})
        gx.log_param("alpha", 0.5)
        for step in range({steps}):
            gx.log_metric("loss", 1.0 / (step + 1), step=step)
        time.sleep(0.8)  # the journal flushes at least every 0.5 s
        print(run.info.run_id, flush=True)
        os._exit(0)
    """, cwd=path)
    assert proc.returncode == 0, proc.stderr.decode()
    run_id = proc.stdout.decode().split()[-1]
    run_dir = path / ".git" / "gx" / "runs" / run_id
    assert run_dir.is_dir(), f"no journal directory for {run_id}"
    assert list(run_dir.glob("journal-*.jsonl")), "the dead run left no journal segment"
    return run_id, run_dir


def backdate(root: Path, seconds: float = 600) -> None:
    """Set the mtime of ``root`` and everything under it ``seconds`` into the past."""
    when = time.time() - seconds
    for p in [*root.rglob("*"), root]:
        os.utime(p, (when, when), follow_symlinks=False)


def run_commits(path: Path, experiment: str) -> list[tuple[str, str]]:
    """(commit, Gx-Run id) of every run commit reachable from refs/experiments/<experiment>,
    read with git itself (no gx, so no recovery)."""
    ref = f"refs/experiments/{experiment}"
    check = subprocess.run(["git", "rev-parse", "-q", "--verify", ref], cwd=path, capture_output=True, timeout=20)
    if check.returncode != 0:
        return []
    out = subprocess.run(["git", "log", "--format=%H%x00%B%x01", ref], cwd=path, capture_output=True,
                         check=True, timeout=20).stdout.decode("utf-8", "replace")
    runs = []
    for record in out.split("\x01"):
        if "\x00" not in record:
            continue
        sha, body = record.strip("\n").split("\x00", 1)
        trailers = dict(line.split(": ", 1) for line in body.splitlines() if line.startswith("Gx-") and ": " in line)
        if trailers.get("Gx-Kind") == "run":
            runs.append((sha, trailers.get("Gx-Run", "")))
    return runs


def metric_history(path: Path, commit: str, key: str) -> list[float]:
    """The values of ``metrics/<key>.tsv`` in a run commit, read with git."""
    proc = subprocess.run(["git", "show", f"{commit}:metrics/{key}.tsv"], cwd=path, capture_output=True, timeout=20)
    if proc.returncode != 0:
        return []
    lines = proc.stdout.decode().splitlines()[1:]
    return [float(line.split("\t")[2]) for line in lines if line.strip()]


def files_containing(root: Path, needle: bytes) -> list[Path]:
    """Regular files under ``root`` whose bytes contain ``needle``."""
    found = []
    for p in root.rglob("*"):
        try:
            if p.is_file() and not p.is_symlink() and needle in p.read_bytes():
                found.append(p)
        except OSError:
            continue
    return found
