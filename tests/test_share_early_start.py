"""A pull starts its one connection first: the remote (an ssh handshake away) answers while gx loads
the fetch's checks and makes its quarantine; a connection no fetch took is ended, not left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import gx
from gx.store import transfer_git, transfer_one
from gx.store.remote import resolve_remote
from gx.store.repo import Store

#: Loaded only once the connection is under way.
AFTER_THE_START = ("gx.store.incoming", "gx.store.fsckpolicy", "gx.store.merge", "gx.store.transfer")

PROBE = """
import sys
from gx.store import gitwire
real, seen = gitwire.spawn, []
def spawn(git, args, env, *a, **kw):
    if args and args[0] == "upload-pack":
        seen.append(sorted(m for m in {after!r} if m in sys.modules))
    return real(git, args, env, *a, **kw)
gitwire.spawn = spawn
from gx.cli.main import cli
cli.main(["pull", "origin"], standalone_mode=False)
print("loaded at the start:", seen)
"""


@pytest.fixture(autouse=True)
def git_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GX_GIT_BINARY", raising=False)


def _children() -> set[int]:
    """This process's children, zombies included (from /proc): a child not yet reaped is still one."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                out.add(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return out


def test_a_pull_starts_its_connection_before_loading_the_checks(clones):
    a, b, _remote, at = clones
    at(a)
    with gx.start_run(experiment="e"):
        gx.log_metric("m", 1)
    a.git("push", "-q", "origin", "refs/experiments/*:refs/experiments/*")
    proc = subprocess.run([sys.executable, "-c", PROBE.format(after=AFTER_THE_START)], cwd=b.path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "loaded at the start: [[]]" in proc.stdout, proc.stdout  # one connection, nothing else loaded yet
    assert b.git("rev-parse", "refs/experiments/e") == a.git("rev-parse", "refs/experiments/e")
    b.fsck()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads live processes from /proc")
def test_a_connection_no_fetch_took_is_ended(clones):
    a, _b, _remote, at = clones
    at(a)
    with Store.open(a.path) as store:
        remote = resolve_remote(store, "origin")
        git = transfer_git.usable(store, remote.url)
        assert git is not None
        before = _children()
        with transfer_one.started(store, git, remote) as early:
            assert early is not None
            started = _children() - before
            assert started  # upload-pack, under way before any fetch asks
        assert not started & _children()  # ended and reaped on the way out


def test_a_remote_that_is_not_there_is_one_error_line(clones, tmp_path):
    """The started conversation with a path holding no repository ends at once, unused, and the pull
    says what is wrong in one line."""
    a, _b, _remote, at = clones
    at(a)
    a.git("remote", "add", "gone", str(tmp_path / "nowhere.git"))
    with Store.open(a.path) as store:
        remote = resolve_remote(store, "gone")
        before = _children()
        with transfer_one.started(store, transfer_git.usable(store, remote.url), remote):
            pass
    assert _children() <= before
    result = subprocess.run([sys.executable, "-m", "gx", "pull", "gone"], cwd=a.path, capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "nowhere.git" in result.stderr
