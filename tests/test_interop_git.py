"""The store through the real git binary: fsck, log, show, diff, gc, worktrees, bare repos."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import gx
import gx.query.runs
from conftest import gx_subprocess, run_git


def record_two_runs():
    gx.set_experiment("lasso")
    with gx.start_run(run_name="a") as a:
        gx.log_param("alpha", 0.1)
        gx.log_metric("rmse", 5.21)
    with gx.start_run(run_name="b") as b:
        gx.log_param("alpha", 0.2)
        gx.log_metric("rmse", 4.8)
    return a.info.run_id, b.info.run_id


def test_git_log_is_a_leaderboard_and_diff_shows_changes(repo):
    a, b = record_two_runs()
    log = repo.git("log", "--first-parent", "--format=%s", "refs/experiments/lasso").splitlines()
    assert log == ["b: alpha=0.2 → rmse=4.8 [FINISHED]", "a: alpha=0.1 → rmse=5.21 [FINISHED]", "experiment lasso"]
    body = repo.git("log", "-1", "--format=%B", "refs/experiments/lasso")
    assert f"Gx-Run: {b}" in body and "Gx-Kind: run" in body
    assert "alpha: 0.2" in repo.git("show", "refs/experiments/lasso:params.yaml")
    diff = repo.git("diff", "refs/experiments/lasso~1", "refs/experiments/lasso", "--", "params.yaml", "metrics.yaml")
    assert "-alpha: 0.1" in diff and "+alpha: 0.2" in diff and "+  value: 4.8" in diff
    # gx never touched HEAD, the index or the working tree
    assert repo.git("status", "--porcelain") == ""
    assert repo.git("log", "--format=%s") == "initial\n"
    repo.fsck()


def test_source_of_a_dirty_run_with_head_loose_then_packed(repo):
    """gx reads the user's commit loose first (dulwich would open every run pack's index first):
    the same source either way, and after git gc, when HEAD is in a pack."""
    head = repo.git("rev-parse", "HEAD").strip()
    (repo.path / "README.md").write_text("changed\n")
    for packed in (False, True):
        if packed:
            repo.git("gc", "--prune=now", "--quiet")
        assert (repo.path / ".git" / "objects" / head[:2] / head[2:]).exists() is not packed
        with gx.start_run(experiment="src") as run:
            gx.log_metric("m", 1.0)
        source = gx.query.runs.get_record(run.info.run_id).source
        assert source["commit"] == head and source["dirty"] is True
        assert repo.git("rev-parse", f"{source['snapshot']}^").strip() == head
        assert repo.git("show", f"{source['snapshot']}:README.md") == "changed\n"
        assert repo.git("rev-parse", "refs/experiments/src^2").strip() == source["snapshot"]
    (repo.path / "README.md").write_text("project\n")  # clean again: the packed HEAD is the run's source
    with gx.start_run(experiment="src") as run:
        gx.log_metric("m", 2.0)
    assert gx.query.runs.get_record(run.info.run_id).source == {"commit": head, "branch": "main", "dirty": False}
    assert repo.git("rev-parse", "refs/experiments/src^2").strip() == head
    repo.fsck()


def test_reads_after_gc_and_pack_refs(repo):
    a, b = record_two_runs()
    before = [(r.run_id, r.metrics) for r in gx.query.runs.list_runs()]
    repo.git("gc", "--aggressive", "--prune=now", "--quiet")
    repo.git("pack-refs", "--all")
    assert not (repo.path / ".git" / "refs" / "experiments" / "lasso").exists()
    assert [(r.run_id, r.metrics) for r in gx.query.runs.list_runs()] == before
    with gx.start_run(experiment="lasso"):  # writing on top of a packed ref works too
        gx.log_metric("rmse", 1.0)
    assert len(gx.query.runs.list_runs()) == 3
    assert gx.query.runs.get_record(a[:6]).params == {"alpha": 0.1}
    repo.fsck()


def test_user_hooks_are_not_run_and_head_untouched(repo):
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\ntouch hook-ran\nexit 1\n")
    hook.chmod(0o755)
    record_two_runs()
    assert not (repo.path / "hook-ran").exists()


def test_linked_worktree_and_bare_repository(repo, tmp_path, monkeypatch):
    record_two_runs()
    wt = tmp_path / "wt"
    repo.git("worktree", "add", "-q", str(wt))
    monkeypatch.chdir(wt)
    with gx.start_run(experiment="lasso", run_name="from-worktree"):
        gx.log_metric("rmse", 3.0)
    assert {r.name for r in gx.query.runs.list_runs()} == {"a", "b", "from-worktree"}
    bare = tmp_path / "bare.git"
    run_git("clone", "-q", "--bare", str(repo.path), str(bare))
    run_git("fetch", "-q", str(repo.path), "refs/experiments/*:refs/experiments/*", cwd=bare)
    monkeypatch.chdir(bare)
    assert {r.name for r in gx.query.runs.list_runs()} == {"a", "b", "from-worktree"}
    proc = gx_subprocess("ls", cwd=bare)
    assert proc.returncode == 0 and b"from-worktree" in proc.stdout


def test_works_without_the_git_binary(repo, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    os.symlink(sys.executable, bindir / "python")
    os.symlink(shutil.which("sh"), bindir / "sh")
    env = {"PATH": str(bindir)}
    repo.write("train.py", "import gx\ngx.log_metric('m', 2.0)\n")
    repo.write("README.md", "dirty\n")
    proc = gx_subprocess("run", "train.py", cwd=repo.path, env=env)
    assert proc.returncode == 0, proc.stderr.decode()
    proc = gx_subprocess("ls", "--json", cwd=repo.path, env=env)
    assert proc.returncode == 0 and b'"m": 2.0' in proc.stdout
    assert subprocess.run(["sh", "-c", "command -v git"], env=env, capture_output=True).returncode != 0
    [run] = gx.query.runs.list_runs()
    assert gx.query.runs.get_record(run.run_id).source["dirty"] is True
    repo.fsck()


def test_repository_without_commits(tmp_path, monkeypatch):
    path = tmp_path / "fresh"
    run_git("init", "-q", str(path))
    monkeypatch.chdir(path)
    with gx.start_run() as run:
        gx.log_metric("m", 1.0)
    rec = gx.query.runs.get_record(run.info.run_id)
    assert rec.source == {"commit": None, "branch": rec.source["branch"], "dirty": False}
    (path / "code.py").write_text("x = 1\n")
    run_git("add", "code.py", cwd=path)
    with gx.start_run() as run:  # staged but never committed: snapshotted as a root commit
        pass
    snapshot = gx.query.runs.get_record(run.info.run_id).source["snapshot"]
    assert run_git("show", f"{snapshot}:code.py", cwd=path) == "x = 1\n"
    out = subprocess.run(["git", "fsck", "--strict", "--no-dangling"], cwd=path, capture_output=True)
    assert out.returncode == 0, out.stderr
