"""gx push to a repository on this machine goes through its receive side: hooks and receive.fsckObjects.

The remote is a bare repository with a pre-receive hook, or with ``receive.fsckObjects=true`` and a
local experiment that holds an object git's fsck refuses (written with plumbing, hostile.py).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

import hostile
from conftest import Repo


@pytest.fixture(name="t")
def team(tmp_path: Path) -> SimpleNamespace:
    t = hostile.make_team(tmp_path)
    hostile.add_run(t.mate, "good", name="g1")
    bindir = tmp_path / "bin-without-git"
    bindir.mkdir()
    os.symlink(sys.executable, bindir / "python")
    t.no_git = {"PATH": str(bindir)}
    return t


def push(t: SimpleNamespace, *args: str, env: dict | None = None) -> tuple[int, str, str]:
    proc = hostile.gx("push", *args, cwd=t.mate, env=env)
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert proc.returncode != 3 and "Traceback" not in err, err
    return proc.returncode, out, err


def hook(remote: Path, name: str, body: str) -> Path:
    path = remote / "hooks" / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("git", ["with-git", "without-git"])
def test_receive_fsck_objects_refuses_a_bad_object(t, git):
    hostile.add_run_with_entry(t.mate, "shared", b".git")
    hostile.git(t.remote, "config", "receive.fsckObjects", "true")
    code, out, err = push(t, env=t.no_git if git == "without-git" else None)
    assert code == 1, out + err
    assert err.startswith("gx: error: origin refused the push") and err.count("\n") == 1, err
    assert "hasDotgit" in err
    assert hostile.rev(t.remote, "refs/experiments/shared") is None
    assert hostile.rev(t.remote, "refs/experiments/good") is None  # one pack: all or nothing, as git does
    Repo(t.remote).fsck()
    hostile.git(t.remote, "config", "receive.fsckObjects", "false")
    code, out, err = push(t, "origin", "good", env=t.no_git if git == "without-git" else None)
    assert code == 0 and out == "good: 1 run to origin (new there)\n", err


@pytest.mark.parametrize("name", ["pre-receive", "update"])
def test_a_rejecting_hook_is_run_and_has_the_last_word(t, name):
    marker = t.root / "hook-ran"
    hook(t.remote, name, f"echo \"$@\" > {marker}\necho 'experiments are frozen' >&2\nexit 1\n")
    code, out, err = push(t)
    assert code == 1
    assert err.startswith("gx: error: origin refused refs/experiments/good:") and err.count("\n") == 1, err
    assert "experiments are frozen" in err and "hook declined" in err
    assert marker.exists(), "the hook never ran"
    assert hostile.rev(t.remote, "refs/experiments/good") is None
    Repo(t.remote).fsck()


def test_an_accepting_hook_sees_the_push_and_post_receive_runs(t):
    seen, after = t.root / "seen", t.root / "after"
    hook(t.remote, "pre-receive", f"cat > {seen}\n")
    hook(t.remote, "post-receive", f"cat > {after}\n")
    code, out, err = push(t)
    assert code == 0, err
    tip = hostile.rev(t.mate, "refs/experiments/good")
    assert seen.read_text() == after.read_text() == f"{'0' * 40} {tip} refs/experiments/good\n"
    assert hostile.rev(t.remote, "refs/experiments/good") == tip


def test_without_git_a_remote_with_hooks_is_refused_not_bypassed(t):
    hook(t.remote, "pre-receive", "exit 0\n")
    code, out, err = push(t, env=t.no_git)
    assert shutil.which("git", path=t.no_git["PATH"]) is None
    assert code == 1
    assert err == ("gx: error: origin has a pre-receive hook, which only git's receive-pack can run, and git is "
                   "not on PATH: install git, or push over ssh or https\n")
    assert hostile.rev(t.remote, "refs/experiments/good") is None


def test_the_callers_git_environment_does_not_redirect_the_remote(t, tmp_path):
    """Run from inside a git hook, gx inherits GIT_DIR / GIT_OBJECT_DIRECTORY; receive-pack must not."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"GIT_OBJECT_DIRECTORY": str(elsewhere), "GIT_QUARANTINE_PATH": str(elsewhere)}
    code, out, err = push(t, env=env)
    assert code == 0, err
    assert hostile.rev(t.remote, "refs/experiments/good") == hostile.rev(t.mate, "refs/experiments/good")
    assert not any(elsewhere.iterdir()), "objects went to the caller's object directory"
    Repo(t.remote).fsck()
