"""``gx remote setup``: plain git push/fetch carry experiments; branch pushing stays as it was; undo is exact."""

from __future__ import annotations

import subprocess

import pytest

from conftest import gx_subprocess, run_git
from gx.share import remote_setup
from gx.share import sync as share
from gx.store.repo import Store
from test_share_sync import names, record, team_fixture  # noqa: F401 - team_fixture is 'team'

CONFIG_WITH_COMMENTS = """\
# my config, kept byte for byte
[core]
\trepositoryformatversion = 0
\tbare = false
[remote "origin"]
\turl = {url}
\tfetch = +refs/heads/*:refs/remotes/origin/*
; a comment that stays where it is

[branch "main"]
\tremote = origin
\tmerge = refs/heads/main
"""


def setup(repo, *args: str):
    proc = gx_subprocess("remote", "setup", *args, cwd=repo.path)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def remote_refs(team, pattern: str = "refs/") -> list[str]:
    return run_git("for-each-ref", "--format=%(refname)", pattern, cwd=team.remote).split()


def test_plain_git_push_and_fetch_carry_experiments_only_after_setup(team):
    record(team.alice, "lasso", "a1")
    team.alice.git("push", "-q")
    assert remote_refs(team, "refs/experiments") == []  # before setup: git push leaves them alone
    out = setup(team.alice)
    assert out.splitlines()[0] == "added to .git/config:"
    assert "remote.origin.push = refs/experiments/*:refs/experiments/*" in out
    assert out.splitlines()[-1] == "undo with: gx remote setup --undo origin"
    team.alice.git("push", "-q")
    assert remote_refs(team, "refs/experiments") == ["refs/experiments/lasso"]
    team.bob.git("fetch", "-q")
    assert team.bob.git("for-each-ref", "refs/remotes/origin/experiments") == ""  # bob has not set up
    setup(team.bob)
    team.bob.git("fetch", "-q")
    assert team.bob.git("for-each-ref", "--format=%(refname)", "refs/remotes/origin/experiments") == \
        "refs/remotes/origin/experiments/lasso\n"
    assert team.bob.git("for-each-ref", "refs/experiments") == ""  # fetch never writes local experiments
    with Store.open(team.bob.path) as store:
        tips = share.remote_experiment_tips(store)
    assert tips == {"lasso": [team.alice.git("rev-parse", "refs/experiments/lasso").strip().encode()]}


def test_teammates_runs_are_visible_after_a_plain_fetch_before_any_merge(team):
    setup(team.alice)
    setup(team.bob)
    record(team.alice, "lasso", "a1")
    team.alice.git("push", "-q")
    record(team.bob, "lasso", "b1")
    team.bob.git("pull", "-q", "--no-rebase")
    proc = gx_subprocess("ls", "lasso", cwd=team.bob.path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"a1" in proc.stdout and b"b1" in proc.stdout
    assert names(team.bob) == ["a1", "b1"]
    refused = subprocess.run(["git", "push"], cwd=team.bob.path, capture_output=True, text=True)
    assert refused.returncode == 1 and "[rejected]" in refused.stderr  # diverged: never forced
    proc = gx_subprocess("pull", "--no-fetch", cwd=team.bob.path)
    assert proc.stdout == b"lasso: 1 run from origin (merged)\n", proc.stderr
    team.bob.git("push", "-q")  # now a fast-forward: plain git push works again
    team.alice.git("fetch", "-q")
    assert names(team.alice) == ["a1", "b1"]
    team.alice.fsck()


def test_branch_pushing_and_upstream_tracking_are_unchanged(team):
    setup(team.alice)
    team.alice.write("code.py", "x = 1\n")
    team.alice.git("add", "code.py")
    team.alice.git("commit", "-q", "-m", "code")
    team.alice.git("push", "-q")
    head = team.alice.git("rev-parse", "HEAD").strip()
    assert run_git("rev-parse", "refs/heads/main", cwd=team.remote).strip() == head
    status = team.alice.git("status", "-sb").splitlines()[0]
    assert status == "## main...origin/main"
    assert team.alice.git("config", "--get", "branch.main.merge") == "refs/heads/main\n"
    team.bob.git("pull", "-q", "--no-rebase")  # git pull still merges the upstream branch only
    assert team.bob.git("rev-parse", "HEAD").strip() == head


def test_push_default_matching_is_kept(team):
    team.alice.git("config", "push.default", "matching")
    team.alice.git("push", "-q", "origin", "main:other")
    team.alice.git("branch", "-q", "other")
    out = setup(team.alice)
    assert "remote.origin.push = :" in out and "HEAD" not in out
    team.alice.git("commit", "-q", "--allow-empty", "-m", "on main")
    team.alice.git("checkout", "-q", "other")
    team.alice.git("commit", "-q", "--allow-empty", "-m", "on other")
    team.alice.git("push", "-q")
    for branch in ("main", "other"):
        assert run_git("rev-parse", branch, cwd=team.remote) == team.alice.git("rev-parse", branch)


def test_existing_push_refspecs_are_left_alone(team):
    team.alice.git("config", "--add", "remote.origin.push", "refs/heads/main:refs/heads/main")
    out = setup(team.alice)
    assert "HEAD" not in out and "refs/experiments/*:refs/experiments/*" in out
    assert team.alice.git("config", "--get-all", "remote.origin.push").splitlines() == [
        "refs/heads/main:refs/heads/main", "refs/experiments/*:refs/experiments/*"]


def test_undo_restores_the_config_byte_for_byte(team):
    config = team.alice.path / ".git" / "config"
    config.write_text(CONFIG_WITH_COMMENTS.format(url=team.remote))
    before = config.read_bytes()
    setup(team.alice)
    assert setup(team.alice).startswith("remote 'origin' is already set up")
    record(team.alice, "lasso", "a1")
    team.alice.git("push", "-q")
    team.alice.git("fetch", "-q")
    assert team.alice.git("for-each-ref", "refs/remotes/origin/experiments") != ""
    out = setup(team.alice, "--undo")
    assert out.splitlines()[0] == "removed from .git/config:"
    assert "deleted 1 refs under refs/remotes/origin/experiments/" in out
    assert config.read_bytes() == before
    assert team.alice.git("for-each-ref", "refs/remotes/origin/experiments") == ""
    assert setup(team.alice, "--undo").startswith("remote 'origin' was not set up by gx")


def test_setup_errors_and_init(team, tmp_path):
    proc = gx_subprocess("remote", "setup", "upstream", cwd=team.alice.path)
    assert proc.returncode == 1
    assert proc.stderr == (b"gx: error: no remote named 'upstream'; known remotes: origin; "
                           b"add one with 'git remote add upstream URL' first\n")
    proc = gx_subprocess("init", cwd=team.alice.path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"remote.origin.fetch = +refs/experiments/*:refs/remotes/origin/experiments/*" in proc.stdout
    lonely = tmp_path / "lonely"
    run_git("init", "-q", str(lonely))
    proc = gx_subprocess("init", cwd=lonely)
    assert proc.returncode == 0 and b"no remote 'origin' yet" in proc.stdout
    assert b"gx hooks install" in proc.stdout and not (lonely / ".git" / "hooks" / "post-commit").exists()
    proc = gx_subprocess("init", "--hooks", "--no-share", cwd=lonely)
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"post-commit: installed" in proc.stdout and (lonely / ".git" / "hooks" / "post-commit").exists()


@pytest.mark.parametrize("value, expected", [("simple", "HEAD"), ("current", "HEAD"), ("matching", ":"),
                                             ("nothing", None)])
def test_plan_follows_push_default(team, value, expected):
    team.alice.git("config", "push.default", value)
    with Store.open(team.alice.path) as store:
        plan = remote_setup.plan_setup(store, "origin")
    branch = [line.value for line in plan if line.key == "push" and "experiments" not in line.value]
    assert branch == ([expected] if expected else [])
