"""The pre-push hook: experiments go along with a push to a configured remote, never blocking it."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import gx
from conftest import run_git
from gx.errors import RemoteError
from gx.hooks.entry import push_experiments, run_hook
from gx.hooks.manage import install


@pytest.fixture
def with_remote(repo, tmp_path):
    remote = tmp_path / "remote.git"
    run_git("init", "-q", "--bare", str(remote))
    repo.git("remote", "add", "origin", str(remote))
    with gx.start_run(experiment="lasso"):
        gx.log_metric("rmse", 1.0)
    return remote


def remote_refs(remote) -> dict[str, str]:
    out = run_git("for-each-ref", "--format=%(refname) %(objectname)", cwd=remote)
    return dict(line.split(" ", 1) for line in out.splitlines())


def test_git_push_carries_experiments(repo, with_remote):
    pytest.importorskip("gx.share.sync", reason="gx.share.sync (the sharing half of issue #4) is not in this tree yet")
    install(["pre-push"])
    proc = subprocess.run(["git", "push", "-q", "origin", "main"], cwd=repo.path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "gx: pushed experiments to origin (1 new run)" in proc.stderr
    refs = remote_refs(with_remote)
    assert refs["refs/experiments/lasso"] == repo.git("rev-parse", "refs/experiments/lasso").strip()
    assert refs["refs/heads/main"] == repo.git("rev-parse", "main").strip()


def test_a_failing_experiment_push_never_blocks_the_users_push(repo, with_remote, monkeypatch):
    def refuse(remote, experiments=None, **kw):
        raise RemoteError(f"{remote} refused refs/experiments/lasso")

    monkeypatch.setitem(sys.modules, "gx.share.sync", types.SimpleNamespace(push=refuse))
    lines = run_hook("pre-push", ["origin", str(with_remote)], "")
    assert lines == ["gx: warning: experiments were not pushed (origin refused refs/experiments/lasso); "
                     "your push goes on: run 'gx push origin' later"]


def test_real_git_push_goes_on_when_gx_cannot_push(repo, with_remote):
    install(["pre-push"])
    (repo.path / ".git" / "hooks" / "pre-push").write_text(
        (repo.path / ".git" / "hooks" / "pre-push").read_text().replace("-m gx.hooks", "-c 'import sys; sys.exit(5)'"))
    proc = subprocess.run(["git", "push", "-q", "origin", "main"], cwd=repo.path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "refs/heads/main" in remote_refs(with_remote)


def test_nothing_to_do_for_urls_refspecs_mirrors_and_experiment_pushes(repo, with_remote, monkeypatch):
    monkeypatch.setitem(sys.modules, "gx.share.sync", types.SimpleNamespace(push=lambda remote, **kw: []))
    assert push_experiments(str(with_remote), str(with_remote)) is None  # a URL, not a configured remote
    assert push_experiments("origin", "x", "refs/experiments/lasso abc refs/experiments/lasso 000\n") is None
    monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", "refs/experiments/lasso")  # the pre-commit framework's way
    assert push_experiments("origin", "x") is None
    monkeypatch.delenv("PRE_COMMIT_LOCAL_BRANCH")
    repo.git("config", "--add", "remote.origin.push", "refs/heads/*:refs/heads/*")
    assert push_experiments("origin", "x") is not None  # would push (here: a stand-in that sends nothing)
    repo.git("config", "--add", "remote.origin.push", "refs/experiments/*:refs/experiments/*")
    # configured refspecs do not decide: `git push origin main` replaces them (the push's own refs,
    # on stdin, do); the remote-tracking refs saying the remote has every tip do
    assert push_experiments("origin", "x", "refs/heads/main abc refs/heads/main 000\n") is not None
    repo.git("update-ref", "refs/remotes/origin/experiments/lasso", "refs/experiments/lasso")
    assert push_experiments("origin", "x", "refs/heads/main abc refs/heads/main 000\n") is None
    with gx.start_run(experiment="lasso"):
        gx.log_metric("rmse", 0.5)
    assert push_experiments("origin", "x") is not None
    repo.git("config", "--unset-all", "remote.origin.push")
    repo.git("config", "remote.origin.mirror", "true")
    assert push_experiments("origin", "x") is None


def test_pre_push_hook_passes_stdin_to_the_chained_hook(repo, with_remote):
    hooks = repo.path / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "pre-push").write_text('#!/bin/sh\ncat > "$(git rev-parse --show-toplevel)/pushed.txt"\necho "$1" >> pushed.txt\n')
    (hooks / "pre-push").chmod(0o755)
    install(["pre-push"])
    proc = subprocess.run(["git", "push", "-q", "origin", "main"], cwd=repo.path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    pushed = (repo.path / "pushed.txt").read_text().splitlines()
    local_ref, local_sha, remote_ref, remote_sha = pushed[0].split(" ")
    assert (local_ref, remote_ref, remote_sha) == ("refs/heads/main", "refs/heads/main", "0" * 40)
    assert pushed[1:] == ["origin"]
