"""``gx remote setup``: plain git push/fetch carry experiments; branch pushing stays as it was; undo is exact."""

from __future__ import annotations

import subprocess

import pytest

from conftest import gx_subprocess, run_git
from gx.share import remote_setup
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
        tips = remote_setup.remote_experiment_tips(store)
    assert tips == {"lasso": [team.alice.git("rev-parse", "refs/experiments/lasso").strip().encode()]}


def test_teammates_runs_are_visible_after_a_plain_fetch_before_any_merge(team):
    setup(team.alice)
    setup(team.bob)
    # the refspecs alone, as when the hook cannot be installed (the hook's side: test below)
    assert gx_subprocess("hooks", "uninstall", "--hook", "pre-push", cwd=team.bob.path).returncode == 0
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


def hook(repo):
    return repo.path / ".git" / "hooks" / "pre-push"


def test_setup_installs_the_pre_push_hook_for_explicit_refspecs(team):
    """`git push origin main` names its refspecs, so the configured ones do not apply: the hook that
    setup installs carries the experiments; a diverged one is merged on the way."""
    out = setup(team.alice)
    assert "remote.origin.gxhook = pre-push" in out and "installed gx's pre-push hook (.git/hooks/pre-push)" in out
    assert out.splitlines()[-1] == "undo with: gx remote setup --undo origin"
    record(team.alice, "lasso", "a1")
    team.alice.git("push", "-q", "origin", "main")
    assert remote_refs(team, "refs/experiments") == ["refs/experiments/lasso"]
    setup(team.bob)
    record(team.bob, "lasso", "b1")
    team.bob.git("fetch", "-q")
    pushed = subprocess.run(["git", "push", "origin", "main"], cwd=team.bob.path, capture_output=True, text=True)
    assert pushed.returncode == 0, pushed.stderr
    assert "gx: pushed experiments to origin (1 new run; lasso merged with origin's first" in pushed.stderr
    team.alice.git("fetch", "-q")
    assert gx_subprocess("pull", "--no-fetch", cwd=team.alice.path).returncode == 0
    assert names(team.alice) == ["a1", "b1"]
    quiet = subprocess.run(["git", "push", "origin", "main"], cwd=team.alice.path, capture_output=True, text=True)
    assert quiet.returncode == 0 and "gx:" not in quiet.stderr  # tracking refs say the remote has it all
    team.alice.fsck()


def test_setup_chains_an_existing_pre_push_hook_and_undo_puts_it_back(team):
    hooks = team.alice.path / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    mine = '#!/bin/sh\necho "my hook ran" >&2\n'
    hook(team.alice).write_text(mine)
    hook(team.alice).chmod(0o755)
    out = setup(team.alice)
    assert "the previous hook, now .git/hooks/pre-push.legacy, runs first" in out
    record(team.alice, "lasso", "a1")
    pushed = subprocess.run(["git", "push", "origin", "main"], cwd=team.alice.path, capture_output=True, text=True)
    assert pushed.returncode == 0 and "my hook ran" in pushed.stderr and "gx: pushed experiments" in pushed.stderr
    out = setup(team.alice, "--undo")
    assert "remote.origin.gxhook = pre-push" in out
    assert "removed gx's pre-push hook; the previous one is back at .git/hooks/pre-push" in out
    assert hook(team.alice).read_text() == mine and not (hooks / "pre-push.legacy").exists()


def test_undo_leaves_a_hook_setup_did_not_install(team):
    assert gx_subprocess("hooks", "install", "--hook", "pre-push", cwd=team.alice.path).returncode == 0
    out = setup(team.alice)
    assert "gxhook" not in out and "gx's pre-push hook is installed (.git/hooks/pre-push)" in out
    out = setup(team.alice, "--undo")
    assert "pre-push" not in out and hook(team.alice).exists()


def test_undo_keeps_the_hook_while_another_remote_is_set_up(team):
    team.alice.git("remote", "add", "backup", str(team.remote))
    assert "remote.origin.gxhook" in setup(team.alice)
    assert "gxhook" not in setup(team.alice, "backup")
    out = setup(team.alice, "--undo", "origin")
    assert "kept gx's pre-push hook: remote 'backup' is still set up" in out and hook(team.alice).exists()
    out = setup(team.alice, "--undo", "backup")
    assert "remote.backup.gxhook = pre-push" in out and "removed gx's pre-push hook" in out
    assert not hook(team.alice).exists()


def test_setup_says_which_pushes_miss_experiments_when_the_hook_cannot_go_in(team):
    hooks = team.alice.path / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    for name in ("pre-push", "pre-push.legacy"):
        (hooks / name).write_text("#!/bin/sh\nexit 0\n")
    proc = gx_subprocess("remote", "setup", cwd=team.alice.path)
    assert proc.returncode == 0, proc.stderr.decode()
    err = proc.stderr.decode()
    assert "gx's pre-push hook was not installed" in err
    assert "'git push origin BRANCH' (refspecs on the command line) does not" in err
    assert "gxhook" not in proc.stdout.decode()
