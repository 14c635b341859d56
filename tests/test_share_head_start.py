"""``gx push`` starts its ``git push``, ``gx pull`` and ``gx sync`` their fetch's connection, before the
CLI loads (``gx.share.head_start``), from the same decisions the command makes; whatever it cannot
decide as the command would, it leaves to the command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Repo, gx_subprocess, run_git
from gx.share import head_start
from gx.store.repo import Store
from test_share_early_start import _children
from test_share_sync import record, tip

#: None of these may be loaded when the head start's ``git push`` begins.
LOADED_AFTER = ("click", "dulwich.repo", "dulwich.object_store", "gx.store.merge", "gx.store.transfer")
#: Nor these when a fetch's connection begins (dulwich's client and repository load while it answers).
FETCH_LOADED_AFTER = ("click", "dulwich.client", "dulwich.repo", "dulwich.object_store", "gx.store.transfer",
                      "gx.store.incoming", "gx.store.merge", "gx.store.fsckpolicy")

PROBE = """
import subprocess, sys
seen = []
class Watched(subprocess.Popen):
    def __init__(self, args, *rest, **kw):
        words = [a.decode() if isinstance(a, bytes) else str(a) for a in args]
        if "push" in words or any("upload-pack" in word for word in words):
            seen.append(sorted(m for m in {after!r} if m in sys.modules))
        super().__init__(args, *rest, **kw)
subprocess.Popen = Watched
sys.argv = ["gx", *sys.argv[1:]]
from gx.cli import main
try:
    main()
finally:
    print("loaded at each start:", seen, file=sys.stderr)
"""


@pytest.fixture(autouse=True)
def git_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GX_GIT_BINARY", raising=False)


def probe(repo: Repo, *args: str, after: tuple[str, ...] = LOADED_AFTER,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE.format(after=after), *args], cwd=repo.path,
                          capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})})


def test_a_push_starts_before_the_cli_loads(clones):
    a, _b, remote, _at = clones
    record(a, "e", "r1")
    record(a, "f", "r2")
    proc = probe(a, "push", "origin", "e", "-q")
    assert proc.returncode == 0, proc.stderr
    assert "loaded at each start: [[]]" in proc.stderr, proc.stderr  # one push, begun before click or the store
    assert run_git("rev-parse", "refs/experiments/e", cwd=remote).strip() == tip(a, "e")
    assert run_git("for-each-ref", "refs/experiments/f", cwd=remote) == ""  # only the experiment asked for
    Repo(remote).fsck()


def test_a_head_started_push_reports_what_it_sent(clones):
    a, _b, remote, _at = clones
    record(a, "e", "r1")
    record(a, "e", "r2")
    proc = gx_subprocess("push", cwd=a.path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == "e: 2 runs to origin (new there)\n"
    record(a, "e", "r3")
    proc = gx_subprocess("push", "origin", cwd=a.path)
    assert (proc.returncode, proc.stdout.decode()) == (0, "e: 1 run to origin\n"), proc.stderr
    proc = gx_subprocess("push", "origin", cwd=a.path)
    assert (proc.returncode, proc.stdout.decode()) == (0, "e: up to date\n"), proc.stderr
    assert run_git("rev-parse", "refs/experiments/e", cwd=remote).strip() == tip(a, "e")


def test_a_head_started_push_the_remote_refuses_is_merged_and_sent_again(clones):
    a, b, remote, _at = clones
    record(a, "e", "a1")
    assert gx_subprocess("push", cwd=a.path).returncode == 0
    assert gx_subprocess("pull", cwd=b.path).returncode == 0
    record(b, "e", "b1", source=a.git("rev-parse", "HEAD").strip())
    assert gx_subprocess("push", cwd=b.path).returncode == 0
    record(a, "e", "a2")  # a cannot know of b1: its head start goes out blind and is refused
    proc = probe(a, "push")
    assert proc.returncode == 0, proc.stderr
    assert "loaded at each start: [[], " in proc.stderr, proc.stderr  # the head start, then the retry
    assert proc.stdout == "e: 1 run from origin (merged); 1 run to origin\n", proc.stdout
    with Store.open(a.path) as store:
        assert run_git("rev-parse", "refs/experiments/e", cwd=remote).strip() == store.tip("e").decode()
    a.fsck()
    Repo(remote).fsck()


def test_a_remote_that_is_not_there_is_one_error_line(clones, tmp_path: Path):
    a, _b, _remote, _at = clones
    record(a, "e", "r1")
    proc = gx_subprocess("push", str(tmp_path / "nowhere.git"), cwd=a.path)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.startswith("gx: error: cannot reach remote ") and err.count("\n") == 1, err


def _started(repo: Repo, monkeypatch: pytest.MonkeyPatch, *args: str) -> bool:
    """Whether ``gx push ARGS`` in ``repo`` gets a head start (a started push is waited for)."""
    monkeypatch.chdir(repo.path)
    head_start.begin(["push", *args])
    started = bool(head_start._started)
    head_start.settle()
    return started


def test_what_the_head_start_leaves_to_the_push(clones, monkeypatch: pytest.MonkeyPatch):
    a, _b, _remote, _at = clones
    assert not _started(a, monkeypatch)  # nothing to push: the push says so
    record(a, "e", "r1")
    for args in (["--help"], ["origin", "--", "e"], ["-qq"], ["origin", "missing"], ["origin", ""],
                 ["no-such-remote"], ["https://example.invalid/x.git"]):
        assert not _started(a, monkeypatch, *args), args
    assert _started(a, monkeypatch, "origin", "e", "--no-progress")  # the control: a plain push starts
    with monkeypatch.context() as env:
        env.setenv("GX_GIT_BINARY", "0")
        assert not _started(a, monkeypatch)
    config = a.path / ".git" / "config"
    plain = config.read_text()
    config.write_text(plain + "[include]\n\tpath = other.config\n")  # dulwich's repository reads includes
    assert not _started(a, monkeypatch)
    config.write_text(plain)
    (a.path / ".git" / "gx" / "runs" / "dead").mkdir(parents=True)  # a run to record first
    assert not _started(a, monkeypatch)
    (a.path / ".git" / "gx" / "runs" / "dead").rmdir()
    (a.path / ".git" / "lfs" / "objects").mkdir(parents=True)  # LFS content goes before the refs
    assert not _started(a, monkeypatch)
    (a.path / ".git" / "lfs" / "objects").rmdir()
    a.git("tag", "-a", "-m", "v1", "model@v1.0.0")  # registry tags to reconcile
    assert not _started(a, monkeypatch)
    a.git("tag", "-d", "model@v1.0.0")
    assert _started(a, monkeypatch)


def test_a_head_start_is_taken_only_by_the_push_it_was_started_for(clones, monkeypatch: pytest.MonkeyPatch):
    a, _b, remote, _at = clones
    record(a, "e", "r1")
    monkeypatch.chdir(a.path)
    head_start.begin(["push", "origin", "e"])
    try:
        assert head_start.take("push", "origin", None) is None and head_start.take("pull", "origin", ["e"]) is None
        started = head_start.take("push", "origin", ("e",))
        assert started is not None and started.tips == {"e": tip(a, "e").encode()}
        assert head_start.take("push", "origin", ("e",)) is None  # once
        assert started.running.finish().code == 0
    finally:
        head_start.settle()
    assert run_git("rev-parse", "refs/experiments/e", cwd=remote).strip() == tip(a, "e")


def test_a_pull_and_a_sync_start_their_connection_before_the_cli_loads(clones):
    a, b, remote, _at = clones
    record(a, "e", "r1")
    record(a, "f", "r2")
    assert gx_subprocess("push", cwd=a.path).returncode == 0
    proc = probe(b, "pull", "origin", "e", after=FETCH_LOADED_AFTER)
    assert proc.returncode == 0, proc.stderr
    assert "loaded at each start: [[]]" in proc.stderr, proc.stderr  # one connection, begun before click
    assert proc.stdout == "e: 1 run from origin (new experiment)\n"
    assert run_git("for-each-ref", "refs/experiments/f", cwd=b.path) == ""  # only the experiment asked for
    record(b, "e", "r3", source=a.git("rev-parse", "HEAD").strip())
    proc = probe(b, "sync", "--no-progress", after=FETCH_LOADED_AFTER)
    assert proc.returncode == 0, proc.stderr
    assert "loaded at each start: [[], " in proc.stderr, proc.stderr  # the fetch's, then the push's
    assert proc.stdout == "e: 1 run to origin\nf: 1 run from origin (new experiment)\n", proc.stdout
    assert tip(b, "e") == run_git("rev-parse", "refs/experiments/e", cwd=remote).strip()
    b.fsck()


def test_a_pull_over_ssh_starts_its_ssh_before_dulwich_loads(clones, tmp_path: Path):
    a, b, remote, _at = clones
    fake_ssh = tmp_path / "fake-ssh"  # runs the command here, as sshd would there
    fake_ssh.write_text('#!/bin/sh\nfor last; do :; done\nexec sh -c "$last"\n')
    fake_ssh.chmod(0o755)
    record(a, "e", "r1")
    assert gx_subprocess("push", cwd=a.path).returncode == 0
    url = f"ssh://example.invalid{remote}"
    proc = probe(b, "pull", url, after=FETCH_LOADED_AFTER, env={"GIT_SSH_COMMAND": str(fake_ssh)})
    assert proc.returncode == 0, proc.stderr
    assert "loaded at each start: [[]]" in proc.stderr, proc.stderr  # one ssh, begun before dulwich's client
    assert proc.stdout == f"e: 1 run from {url} (new experiment)\n"
    assert tip(b, "e") == tip(a, "e")
    b.fsck()


def test_a_started_fetch_nobody_takes_is_ended(clones, monkeypatch: pytest.MonkeyPatch):
    a, b, _remote, _at = clones
    record(a, "e", "r1")
    assert gx_subprocess("push", cwd=a.path).returncode == 0
    monkeypatch.chdir(b.path)
    before = _children()
    head_start.begin(["pull", "origin"])
    held = list(head_start._started)  # (a dropped reference would close the pipes by itself)
    try:
        assert head_start.take("push", "origin", None) is None and head_start.take("pull", None, None) is None
        started = _children() - before
        assert held and started  # upload-pack, under way
    finally:
        head_start.settle()
    assert not started & _children()  # ended and reaped
    for args in (["pull", "--no-fetch"], ["pull", "origin", "e", "--help"], ["sync", "origin", "e"]):
        head_start.begin(args)
        assert head_start._started == [], args  # left to the command (which says what is wrong)


def test_a_head_start_with_something_to_say_leaves_it_to_the_command(clones, monkeypatch: pytest.MonkeyPatch):
    """A warning while deciding (a skipped ref, say) is the command's to show, in its one-line form:
    the head start stands aside. (The warning is injected: no input warns there today.)"""
    import warnings

    from gx.errors import GxWarning
    from gx.store import glance, remote

    a, _b, _remote, _at = clones
    record(a, "e", "r1")
    real_tips, real_resolve = glance.experiment_tips, remote.resolve_remote

    def tips_with_a_word(paths):
        warnings.warn("gx: skipping something", GxWarning, stacklevel=2)
        return real_tips(paths)

    def resolve_with_a_word(store, spec):
        warnings.warn("gx: skipping something", GxWarning, stacklevel=2)
        return real_resolve(store, spec)

    assert _started(a, monkeypatch)  # the control
    monkeypatch.setattr(glance, "experiment_tips", tips_with_a_word)
    assert not _started(a, monkeypatch)  # a push starts nothing
    monkeypatch.setattr(remote, "resolve_remote", resolve_with_a_word)
    before = _children()
    head_start.begin(["pull", "origin"])
    assert head_start._started == [] and not _children() - before  # a fetch's connection is ended at once


def test_ctrl_c_before_the_cli_loads_is_one_line(clones):
    """Ctrl-C while the head start runs (before click's handling is loaded): one line, exit 130, no
    traceback. (The interrupt is raised from the head start: a real one lands at an arbitrary point.)"""
    a, _b, _remote, _at = clones
    record(a, "e", "r1")
    code = ("import sys\nfrom gx.share import head_start\n"
            "def interrupted(argv):\n    raise KeyboardInterrupt\n"
            "head_start.begin = interrupted\nsys.argv = ['gx', 'push']\nfrom gx.cli import main\nmain()\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=a.path, capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stderr) == (130, "gx: interrupted\n")
